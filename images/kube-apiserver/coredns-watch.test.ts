// wirelab's read-only Kubernetes API server: HTTP behaviour on 127.0.0.1, the process entry,
// and real CoreDNS (its kubernetes plugin, through a kubeconfig) resolving the lab's services
// from it and following a deletion through its watch. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryUdp, rcodeNumber } from '../../test/dns-client.js';
import { LABS_DIR, parseLabSource } from '../../src/labfile/load.js';
import { resolveModel } from '../../src/model/resolve.js';
import type { ClusterModel, Service } from '../../src/model/types.js';
import { renderKubeconfig } from './kubeconfig.js';
import { serveModelFile, type ModelServer } from './main.js';
import type { RequestLogEntry } from './server.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const COREDNS = join(ROOT, '.wirelab/bin/coredns');

function clusterIpModel(): ClusterModel {
  const file = join(LABS_DIR, 'clusterip.yaml');
  return resolveModel(parseLabSource(readFileSync(file, 'utf8'), file));
}

/** Replaces the model file the way `lab` should: write elsewhere, rename over. */
function writeModel(path: string, model: ClusterModel): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(model, null, 1));
  renameSync(`${path}.tmp`, path);
}

function withoutService(model: ClusterModel, name: string): ClusterModel {
  return {
    ...model,
    services: model.services.filter((s) => s.name !== name),
    endpointSlices: model.endpointSlices.filter((s) => s.serviceName !== name),
  };
}

function withService(model: ClusterModel, svc: Service): ClusterModel {
  return { ...model, services: [...model.services.filter((s) => s.name !== svc.name), svc] };
}

interface HttpResult {
  status: number;
  contentType: string;
  body: any;
}

function request(url: string, opts: { method?: string; accept?: string } = {}): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.accept ? { accept: opts.accept } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* text */
        }
        resolvePromise({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface WatchEvent {
  type: string;
  object: any;
}

/** An open watch: newline-delimited JSON events, collected as they arrive. */
class Watch {
  readonly events: WatchEvent[] = [];
  ended = false;
  contentType = '';
  private res?: IncomingMessage;
  private buf = '';
  readonly ready: Promise<void>;

  constructor(url: string) {
    this.ready = new Promise((resolvePromise, reject) => {
      const req = httpGet(url, (res) => {
        this.res = res;
        this.contentType = String(res.headers['content-type'] ?? '');
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          this.buf += d;
          let nl: number;
          while ((nl = this.buf.indexOf('\n')) >= 0) {
            const line = this.buf.slice(0, nl).trim();
            this.buf = this.buf.slice(nl + 1);
            if (line) this.events.push(JSON.parse(line) as WatchEvent);
          }
        });
        res.on('end', () => (this.ended = true));
        res.on('close', () => (this.ended = true));
        resolvePromise();
      });
      req.on('error', reject);
    });
  }

  next(pred: (e: WatchEvent) => boolean, timeoutMs = 5000): Promise<WatchEvent> {
    return waitFor('a watch event', () => this.events.find(pred), timeoutMs);
  }

  close(): void {
    this.res?.destroy();
  }
}

describe('API server over HTTP (127.0.0.1)', () => {
  let dir: string;
  let modelPath: string;
  let server: ModelServer;
  let model: ClusterModel;
  const requests: RequestLogEntry[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirelab-apiserver-'));
    modelPath = join(dir, 'model.json');
    model = clusterIpModel();
    writeModel(modelPath, model);
    server = await serveModelFile({ modelPath, host: '127.0.0.1', port: 0, pollMs: 50, initialResourceVersion: 1000, onRequest: (r) => requests.push(r) });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers discovery', async () => {
    expect((await request(`${server.url}/version`)).body).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    expect((await request(`${server.url}/api`)).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await request(`${server.url}/apis`)).body).toMatchObject({
      kind: 'APIGroupList',
      groups: [{ name: 'discovery.k8s.io', preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' } }],
    });
    const core = (await request(`${server.url}/api/v1`)).body;
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect(core.resources.map((r: { name: string }) => r.name).sort()).toEqual(['endpoints', 'namespaces', 'nodes', 'pods', 'services']);
    const disc = (await request(`${server.url}/apis/discovery.k8s.io/v1`)).body;
    expect(disc).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'discovery.k8s.io/v1',
      resources: [{ name: 'endpointslices', kind: 'EndpointSlice', namespaced: true, verbs: ['get', 'list', 'watch'] }],
    });
    expect((await request(`${server.url}/healthz`)).body).toBe('ok');
  });

  it('lists services, namespaces, nodes, pods and endpointslices as JSON, even when protobuf is asked for', async () => {
    const svcs = await request(`${server.url}/api/v1/services`, { accept: 'application/vnd.kubernetes.protobuf,application/json' });
    expect(svcs.status).toBe(200);
    expect(svcs.contentType).toBe('application/json');
    expect(svcs.body).toMatchObject({ kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: String(server.store.resourceVersion) } });
    expect(svcs.body.items.map((s: any) => `${s.metadata.name} ${s.spec.clusterIP}`)).toContain('web-service 10.97.253.216');

    const nsList = (await request(`${server.url}/api/v1/namespaces/default/services`)).body;
    expect(nsList.items).toHaveLength(3);
    expect((await request(`${server.url}/api/v1/namespaces/kube-system/services`)).body.items).toEqual([]);

    const namespaces = (await request(`${server.url}/api/v1/namespaces`)).body;
    expect(namespaces.items.map((n: any) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect((await request(`${server.url}/api/v1/nodes`)).body.items.map((n: any) => n.metadata.name)).toEqual(['controlplane', 'node01']);

    const pods = (await request(`${server.url}/api/v1/pods?fieldSelector=status.phase!%3DSucceeded,status.phase!%3DFailed,status.phase!%3DUnknown`)).body;
    expect(pods.items).toHaveLength(4);
    const onCp = (await request(`${server.url}/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dcontrolplane`)).body;
    expect(onCp.items.map((p: any) => p.metadata.name)).toEqual(['test-dns']);
    const web = (await request(`${server.url}/api/v1/pods?labelSelector=app%3Dweb`)).body;
    expect(web.items).toHaveLength(3);

    const slices = (
      await request(`${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb-service`)
    ).body;
    expect(slices).toMatchObject({ kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1' });
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0].endpoints.map((e: any) => e.addresses[0]).sort()).toEqual(['10.244.1.3', '10.244.1.4', '10.244.1.5']);
    expect((await request(`${server.url}/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0`)).body.items).toHaveLength(3);
    // Unknown selectors on fields the objects lack are ignored, not fatal.
    expect((await request(`${server.url}/api/v1/services?fieldSelector=spec.nothing%3Dx`)).body.items).toHaveLength(3);
  });

  it('gets single objects, and answers Status objects for what it does not have or do', async () => {
    expect((await request(`${server.url}/api/v1/namespaces/default/services/web-service`)).body).toMatchObject({
      kind: 'Service',
      metadata: { name: 'web-service' },
    });
    expect((await request(`${server.url}/api/v1/nodes/node01`)).body).toMatchObject({ kind: 'Node', metadata: { name: 'node01' } });
    expect((await request(`${server.url}/api/v1/namespaces/default`)).body).toMatchObject({ kind: 'Namespace', metadata: { name: 'default' } });

    const missing = await request(`${server.url}/api/v1/namespaces/default/services/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    for (const path of ['/api/v2', '/api/v1/secrets', '/apis/apps/v1/deployments', '/metrics', '/api/v1/namespaces/default/pods/test-dns/log']) {
      const r = await request(`${server.url}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.body, path).toMatchObject({ kind: 'Status', code: 404 });
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await request(`${server.url}/api/v1/namespaces/default/services/web-service`, { method });
      expect(r.status, method).toBe(405);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    }
    expect((await request(`${server.url}/api/v1/services?labelSelector=app%20in%20web`)).status).toBe(400);
    expect((await request(`${server.url}/api/v1/services?watch=true&resourceVersion=abc`)).status).toBe(400);
  });

  it('watch receives ADDED, then MODIFIED and DELETED after the model file changes', async () => {
    const list = (await request(`${server.url}/api/v1/services`)).body;
    const w = new Watch(
      `${server.url}/api/v1/namespaces/default/services?watch=true&resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true`,
    );
    await w.ready;
    expect(w.contentType).toBe('application/json');
    const sticky = model.services.find((s) => s.name === 'web-sticky')!;
    const extra: Service = { ...sticky, name: 'web-extra', clusterIP: '10.96.77.77' };
    try {
      model = withService(model, extra);
      writeModel(modelPath, model);
      const added = await w.next((e) => e.object.metadata?.name === 'web-extra');
      expect(added.type).toBe('ADDED');
      expect(added.object).toMatchObject({ kind: 'Service', apiVersion: 'v1', spec: { clusterIP: '10.96.77.77' } });

      model = withService(model, { ...extra, ports: [{ ...extra.ports[0], port: 8080 }] });
      writeModel(modelPath, model);
      const modified = await w.next((e) => e.type === 'MODIFIED');
      expect(modified.object.metadata.name).toBe('web-extra');
      expect(modified.object.spec.ports[0].port).toBe(8080);
      expect(Number(modified.object.metadata.resourceVersion)).toBeGreaterThan(Number(added.object.metadata.resourceVersion));

      model = withoutService(model, 'web-extra');
      writeModel(modelPath, model);
      const deleted = await w.next((e) => e.type === 'DELETED');
      expect(deleted.object.metadata.name).toBe('web-extra');
      expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED web-extra', 'MODIFIED web-extra', 'DELETED web-extra']);

      // Resuming from the ADDED's resourceVersion replays what came after it.
      const resumed = new Watch(`${server.url}/api/v1/services?watch=1&resourceVersion=${added.object.metadata.resourceVersion}`);
      await resumed.ready;
      await resumed.next((e) => e.type === 'DELETED');
      expect(resumed.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
      resumed.close();
    } finally {
      w.close();
    }
  });

  it('watch with sendInitialEvents=true streams the current objects, then the initial-events-end bookmark', async () => {
    const w = new Watch(
      `${server.url}/apis/discovery.k8s.io/v1/endpointslices?allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=30&watch=true`,
    );
    await w.ready;
    const bm = await w.next((e) => e.type === 'BOOKMARK');
    expect(bm.object).toEqual({
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { resourceVersion: String(server.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
    expect(w.events.slice(0, -1).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED web-service-wl',
      'ADDED web-sticky-wl',
      'ADDED web-typo-wl',
    ]);
    w.close();
  });

  it('a legacy watch from resourceVersion "" starts with synthetic ADDED events; timeoutSeconds ends it', async () => {
    const w = new Watch(`${server.url}/api/v1/nodes?watch=true&timeoutSeconds=1`);
    await w.ready;
    await waitFor('the watch to end', () => w.ended, 3000);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED controlplane', 'ADDED node01']);
  });

  it('a watch from a resourceVersion the server never had ends with a 410 Expired ERROR event', async () => {
    const w = new Watch(`${server.url}/api/v1/services?watch=true&resourceVersion=5`);
    await w.ready;
    await waitFor('the watch to end', () => w.ended, 3000);
    expect(w.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });

  it('a model file that does not parse is skipped; the last good state stays', async () => {
    const before = server.store.resourceVersion;
    writeFileSync(`${modelPath}.tmp`, '{"nodes": [');
    renameSync(`${modelPath}.tmp`, modelPath);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.store.resourceVersion).toBe(before);
    expect((await request(`${server.url}/api/v1/services`)).body.items).toHaveLength(3);
    writeModel(modelPath, model);
  });
});

describe('apiserver process (images/kube-apiserver/main.ts)', () => {
  it('writes the ready file and a kubeconfig, serves, and exits on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-apiserver-proc-'));
    const modelPath = join(dir, 'model.json');
    const readyFile = join(dir, 'ready');
    const kubeconfig = join(dir, 'kubeconfig');
    writeModel(modelPath, clusterIpModel());
    let stderr = '';
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/run-ts.js'),
        'images/kube-apiserver/main.ts',
        '--model',
        modelPath,
        '--listen',
        '127.0.0.1:0',
        '--ready-file',
        readyFile,
        '--kubeconfig',
        kubeconfig,
        '--log-requests',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await waitFor('the ready file', () => (existsSync(readyFile) ? readFileSync(readyFile, 'utf8').trim() : undefined), 15_000);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(readFileSync(kubeconfig, 'utf8')).toContain(`server: ${url}`);
      const ns = await request(`${url}/api/v1/namespaces`);
      expect(ns.body.items.map((n: any) => n.metadata.name)).toContain('kube-system');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(readyFile)).toBe(false);
      expect(stderr).toContain('GET /api/v1/namespaces -> 200');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

// ---- DNS over UDP ---------------------------------------------------------------------

async function resolveA(port: number, name: string, timeoutMs = 1000): Promise<{ rcode: number; a: string[] }> {
  const r = await queryUdp(port, name, 'A', 'IN', timeoutMs);
  if (!r) throw new Error(`no DNS answer for ${name} from 127.0.0.1:${port}`);
  return { rcode: rcodeNumber(r.rcode), a: r.a };
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePromise(port));
    });
  });
}

describe('real CoreDNS (kubernetes plugin) against the API server, 127.0.0.1 only', () => {
  let dir: string;
  let modelPath: string;
  let server: ModelServer;
  let coredns: ChildProcess | undefined;
  let corednsLog = '';
  let dnsPort = 0;
  const requests: RequestLogEntry[] = [];
  const model = clusterIpModel();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirelab-coredns-'));
    modelPath = join(dir, 'model.json');
    writeModel(modelPath, model);
    server = await serveModelFile({ modelPath, host: '127.0.0.1', port: 0, pollMs: 100, onRequest: (r) => requests.push(r) });
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, renderKubeconfig(server.url));
    dnsPort = await freeUdpPort();
    const corefile = join(dir, 'Corefile');
    writeFileSync(
      corefile,
      [
        `.:${dnsPort} {`,
        '    bind 127.0.0.1',
        '    errors',
        '    kubernetes cluster.local in-addr.arpa ip6.arpa {',
        `        kubeconfig ${kubeconfig} wirelab`,
        '        pods insecure',
        '        fallthrough in-addr.arpa ip6.arpa',
        '        ttl 30',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    coredns = spawn(COREDNS, ['-conf', corefile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    coredns.stdout!.on('data', (d: Buffer) => (corednsLog += d.toString()));
    coredns.stderr!.on('data', (d: Buffer) => (corednsLog += d.toString()));
    await waitFor(
      'CoreDNS to answer',
      async () => {
        if (coredns!.exitCode !== null) throw new Error(`CoreDNS exited (${coredns!.exitCode}):\n${corednsLog}`);
        try {
          const r = await resolveA(dnsPort, 'web-service.default.svc.cluster.local', 300);
          return r.a.length > 0 ? r : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nCoreDNS log:\n${corednsLog}\nAPI requests:\n${requests.map((r) => `${r.method} ${r.url} -> ${r.status}`).join('\n')}`);
    });
  }, 30_000);

  afterAll(async () => {
    if (coredns && coredns.exitCode === null) {
      const exited = new Promise((r) => coredns!.once('exit', r));
      coredns.kill('SIGTERM');
      const t = setTimeout(() => coredns!.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // What CoreDNS asked the API server for (kept in the test output on purpose).
    console.log(
      `API requests made by CoreDNS:\n${requests.map((r) => `  ${r.method} ${r.url} -> ${r.status} [Accept: ${r.accept ?? '-'}; ${r.userAgent ?? '-'}]`).join('\n')}`,
    );
  });

  it('resolves web-service.default.svc.cluster.local to its ClusterIP', async () => {
    const r = await resolveA(dnsPort, 'web-service.default.svc.cluster.local');
    expect(r).toEqual({ rcode: 0, a: ['10.97.253.216'] });
    const sticky = model.services.find((s) => s.name === 'web-sticky')!;
    expect((await resolveA(dnsPort, 'web-sticky.default.svc.cluster.local')).a).toEqual([sticky.clusterIP]);
    expect((await resolveA(dnsPort, 'nope.default.svc.cluster.local')).rcode).toBe(3);
    // CoreDNS found everything through list/watch of the resources it needs.
    const paths = new Set(requests.map((r) => new URL(r.url, 'http://x').pathname));
    expect(paths).toContain('/api/v1/services');
    expect(paths).toContain('/apis/discovery.k8s.io/v1/endpointslices');
    expect(paths).toContain('/api/v1/namespaces');
    expect(requests.every((r) => r.method === 'GET' && r.status === 200)).toBe(true);
  });

  it('follows the model: a deleted service is NXDOMAIN within a few seconds', async () => {
    writeModel(modelPath, withoutService(model, 'web-service'));
    const r = await waitFor(
      'NXDOMAIN for the deleted service',
      async () => {
        const ans = await resolveA(dnsPort, 'web-service.default.svc.cluster.local');
        return ans.rcode === 3 ? ans : undefined;
      },
      5000,
      100,
    );
    expect(r).toEqual({ rcode: 3, a: [] });
    // The others are untouched.
    expect((await resolveA(dnsPort, 'web-sticky.default.svc.cluster.local')).a).toHaveLength(1);
  });
});
