// The controller "container" of an ingress controller pod, as ingress-nginx splits it: a control
// loop that renders nginx.conf from the cluster's objects and a real nginx serving it. When the
// lab's objects change (the model file the harness and the API server share is rewritten),
// the configuration is rendered again and nginx reloads (SIGHUP), as ingress-nginx reloads on
// Ingress, Service and EndpointSlice events.
//   ingress-controller --model <model.json> --pod <ns>/<name> --container <name> --dir <dir>
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, watchFile, writeFileSync } from 'node:fs';
import type { ClusterModel } from '../../src/model/types.js';
import { nginxConfFor } from '../../src/plan/ingress/controller.js';

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) {
    process.stderr.write(`ingress-controller: --${name} is required\n`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const modelPath = arg('model');
const [podNs, podName] = arg('pod').split('/');
const containerName = arg('container');
const dir = arg('dir');
const conf = `${dir}/nginx.conf`;

function render(): string | undefined {
  try {
    const model = JSON.parse(readFileSync(modelPath, 'utf8')) as ClusterModel;
    const pod = model.pods.find((p) => p.namespace === podNs && p.name === podName);
    const c = pod?.containers.find((x) => x.name === containerName);
    if (!pod || !c) throw new Error(`pod ${podNs}/${podName} container ${containerName} is not in the model`);
    return nginxConfFor(model, pod, c, dir);
  } catch (e) {
    process.stderr.write(`ingress-controller: not rendered: ${(e as Error).message}\n`);
    return undefined;
  }
}

let current = render();
if (current === undefined) process.exit(1);
writeFileSync(`${conf}.tmp`, current);
renameSync(`${conf}.tmp`, conf);
const nginx = spawn('nginx', ['-c', conf, '-g', 'daemon off;'], { stdio: 'inherit' });
nginx.on('exit', (code) => process.exit(code ?? 1));

watchFile(modelPath, { interval: 200 }, () => {
  const next = render();
  if (next === undefined || next === current) return;
  current = next;
  writeFileSync(`${conf}.tmp`, next);
  renameSync(`${conf}.tmp`, conf);
  process.stderr.write('ingress-controller: configuration changed, reloading nginx\n');
  nginx.kill('SIGHUP');
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    nginx.kill('SIGQUIT');
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
