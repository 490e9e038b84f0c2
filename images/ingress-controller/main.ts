// The controller "container" of an ingress controller pod, as ingress-nginx splits it: a control
// loop that renders nginx.conf from the cluster's objects and a real nginx serving it. When the
// objects change, the configuration is rendered again and nginx reloads (SIGHUP), as
// ingress-nginx reloads on Ingress, Service, EndpointSlice and Secret events.
//   ingress-controller --model <lab model.json> --pod <ns>/<name> --container <name> --dir <dir>
//                      [--kubeconfig <file>]
// With --kubeconfig (a lab with a control plane) the objects come from the API server, watched
// like any controller watches them (from inside the pod, through the kubernetes Service), and
// TLS Secrets' data is written to the pod's directory; without, from the lab's model file, which
// is watched for changes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, watchFile, writeFileSync } from 'node:fs';
import type { ClusterModel, Container } from '../../src/model/types.js';
import { nginxConfFor } from '../../src/plan/ingress/controller.js';
import type { CertFiles } from '../../src/plan/ingress/types.js';
import { ApiClient, ApiError, type K8sObject } from '../../src/api/client.js';
import { Informer } from '../../src/api/informer.js';
import { endpointFromKubeconfig } from '../../src/api/kubeconfig.js';
import { modelFromApi } from '../../src/model/from-api.js';
import { parsePodSpec } from '../../src/k8s/pod.js';
import { nginxReloader } from './reload.js';

function arg(name: string, required = true): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) {
    if (!required) return undefined;
    process.stderr.write(`ingress-controller: --${name} is required\n`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const modelPath = arg('model')!;
const [podNs, podName] = arg('pod')!.split('/');
const containerName = arg('container')!;
const dir = arg('dir')!;
const kubeconfig = arg('kubeconfig', false);
const conf = `${dir}/nginx.conf`;

function render(model: ClusterModel, c: Container, certs?: Record<string, CertFiles>): string | undefined {
  try {
    return nginxConfFor(model, c, dir, certs);
  } catch (e) {
    process.stderr.write(`ingress-controller: not rendered: ${(e as Error).message}\n`);
    return undefined;
  }
}

let current: string | undefined;
let nginx: ReturnType<typeof spawn> | undefined;
// The pid file nginx.conf names (src/plan/ingress/nginx-render.ts: pid <dir>/nginx.pid).
const reloader = nginxReloader(
  `${dir}/nginx.pid`,
  () => nginx?.pid,
  (sig) => nginx?.kill(sig),
);

/** `certs` names the certificates' contents: a Secret given a new certificate keeps its file
 * names, so nginx.conf reads the same, yet nginx must reload to serve it (ingress-nginx reloads
 * on a Secret's change too). */
function apply(next: string | undefined, certs = ''): void {
  if (next === undefined || next + certs === current) return;
  const first = current === undefined;
  current = next + certs;
  writeFileSync(`${conf}.tmp`, next);
  renameSync(`${conf}.tmp`, conf);
  if (first) {
    nginx = spawn('nginx', ['-c', conf, '-g', 'daemon off;'], { stdio: 'inherit' });
    nginx.on('exit', (code) => process.exit(code ?? 1));
  } else {
    process.stderr.write('ingress-controller: configuration changed, reloading nginx\n');
    reloader.reload();
  }
}

/** From the lab's model file (a lab without a control plane). */
function fromModelFile(): void {
  const load = () => {
    const model = JSON.parse(readFileSync(modelPath, 'utf8')) as ClusterModel;
    const pod = model.pods.find((p) => p.namespace === podNs && p.name === podName);
    const c = pod?.containers.find((x) => x.name === containerName);
    if (!c) throw new Error(`pod ${podNs}/${podName} container ${containerName} is not in the model`);
    return render(model, c);
  };
  const first = load();
  if (first === undefined) process.exit(1);
  apply(first);
  watchFile(modelPath, { interval: 200 }, () => apply(load()));
}

/** TLS Secrets' certificates in the pod's directory, as ingress-nginx writes them. */
function writeCerts(secrets: K8sObject[]): { files: Record<string, CertFiles>; digest: string } {
  const out: Record<string, CertFiles> = {};
  const hash = createHash('sha256');
  mkdirSync(`${dir}/certs`, { recursive: true });
  for (const s of secrets) {
    const data = (s as { data?: Record<string, string> }).data ?? {};
    if (!data['tls.crt'] || !data['tls.key']) continue;
    const base = `${dir}/certs/${s.metadata.namespace}_${s.metadata.name}`;
    writeFileSync(`${base}.crt`, Buffer.from(data['tls.crt'], 'base64'));
    writeFileSync(`${base}.key`, Buffer.from(data['tls.key'], 'base64'), { mode: 0o600 });
    out[`${s.metadata.namespace}/${s.metadata.name}`] = { cert: `${base}.crt`, key: `${base}.key` };
    hash.update(`${base}\n${data['tls.crt']}\n${data['tls.key']}\n`);
  }
  return { files: out, digest: hash.digest('hex') };
}

/** From the API server (a lab with a control plane). */
async function fromApi(path: string): Promise<void> {
  const lab = JSON.parse(readFileSync(modelPath, 'utf8')) as ClusterModel;
  const client = new ApiClient(endpointFromKubeconfig(path));
  const self = await client.get(`/api/v1/namespaces/${podNs}/pods/${podName}`);
  const c = parsePodSpec((self.spec ?? {}) as Record<string, unknown>).containers.find((x) => x.name === containerName);
  if (!c) throw new Error(`pod ${podNs}/${podName} has no container ${containerName}`);
  const paths = {
    services: '/api/v1/services',
    endpointSlices: '/apis/discovery.k8s.io/v1/endpointslices',
    secrets: '/api/v1/secrets',
    ingresses: '/apis/networking.k8s.io/v1/ingresses',
    gatewayClasses: '/apis/gateway.networking.k8s.io/v1/gatewayclasses',
    gateways: '/apis/gateway.networking.k8s.io/v1/gateways',
    httpRoutes: '/apis/gateway.networking.k8s.io/v1/httproutes',
  };
  const signal = new AbortController().signal;
  const informers: Record<string, Informer> = {};
  for (const [k, p] of Object.entries(paths)) {
    // The Gateway API is there only when its CRDs are installed.
    if (k.startsWith('gateway') || k === 'httpRoutes') {
      try {
        await client.list(p);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) continue;
        throw e;
      }
    }
    informers[k] = new Informer(client, p);
  }
  let timer: NodeJS.Timeout | undefined;
  const sync = () => {
    const list = (k: string) => informers[k]?.list() ?? [];
    const model = modelFromApi(lab, {
      nodes: [],
      pods: [],
      namespaces: [],
      services: list('services'),
      endpointSlices: list('endpointSlices'),
      ingresses: [...list('ingresses'), ...list('gatewayClasses'), ...list('gateways'), ...list('httpRoutes')],
      secrets: list('secrets'),
    });
    const certs = writeCerts(list('secrets'));
    apply(render(model, c, certs.files), certs.digest);
  };
  for (const inf of Object.values(informers)) {
    inf.onChange(() => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        sync();
      }, 50);
    });
    void inf.run(signal, (e) => process.stderr.write(`ingress-controller: watch: ${(e as Error).message}\n`));
  }
  await Promise.all(Object.values(informers).map((i) => i.synced));
  sync();
}

if (kubeconfig) {
  fromApi(kubeconfig).catch((e: unknown) => {
    process.stderr.write(`ingress-controller: ${(e as Error).message}\n`);
    process.exit(1);
  });
} else fromModelFile();

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    reloader.cancel();
    nginx?.kill('SIGQUIT');
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
