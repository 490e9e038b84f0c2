// Runs one readiness probe the way kubelet's prober does (pkg/kubelet/prober/prober.go,
// pkg/probe/{http,tcp,exec} at v1.34.2): from the node (the agent runs in the node's network
// namespace, as kubelet runs in the host's) to the pod's address, within timeoutSeconds.
// httpGet: a GET with kubelet's User-Agent and Accept; tcpSocket: a connection opened and
// closed; exec: the command in the pod, exit code 0 succeeds.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container } from '../k8s/types.js';
import { resolveProbePort, type Probe } from '../k8s/probe.js';
import { execInPod } from '../kernel/pod-exec.js';
import { httpVerdict, type ProbeOutcome } from './probe-worker.js';

/** pkg/probe/http/request.go: "kube-probe/<major>.<minor>". */
const USER_AGENT = 'kube-probe/1.34';

export interface ProbeTarget {
  lab: string;
  netns: string;
  pod: string;
  podIP: string;
  container: Container;
}

/** Go's words for a failed dial (net.OpError around the syscall's errno), as kubelet's events
 * show them: "dial tcp 10.244.1.3:81: connect: connection refused". */
const GO_ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ECONNRESET: 'read: connection reset by peer',
  ETIMEDOUT: 'i/o timeout',
};

export function dialError(host: string, port: number, e: Error & { code?: string }): string {
  return `dial tcp ${host}:${port}: ${GO_ERRNO[e.code ?? ''] ?? e.message}`;
}

function httpProbe(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        res.resume();
        resolve(httpVerdict(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
    req.on('error', (e: Error & { code?: string }) =>
      resolve({
        result: 'failure',
        output: `Get "${url.href}": ${e.code ? dialError(url.hostname, Number(url.port || (url.protocol === 'https:' ? 443 : 80)), e) : e.message}`,
      }),
    );
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.on('connect', () => {
      s.destroy();
      resolve({ result: 'success' });
    });
    s.on('timeout', () => s.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    s.on('error', (e) => resolve({ result: 'failure', output: dialError(host, port, e) }));
  });
}

async function execProbe(t: ProbeTarget, command: string[], timeoutMs: number): Promise<ProbeOutcome> {
  const p = execInPod({ lab: t.lab, netns: t.netns, hostname: t.pod, argv: command, tty: false });
  p.stdin.end();
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => p.kill(), timeoutMs);
  const code = await p.exited.finally(() => clearTimeout(timer));
  if (code === 0) return { result: 'success' };
  return { result: 'failure', output: out.trim() || `command ${JSON.stringify(command)} exited with ${code}` };
}

export function runProbe(t: ProbeTarget, probe: Probe): Promise<ProbeOutcome> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  const h = probe.handler;
  if ('exec' in h) return execProbe(t, h.exec.command, timeoutMs);
  const spec = 'httpGet' in h ? h.httpGet : h.tcpSocket;
  const port = resolveProbePort(spec.port, t.container.ports);
  if (port === undefined)
    return Promise.resolve({ result: 'error', output: `unable to resolve port ${JSON.stringify(spec.port)} of container ${t.container.name}` });
  const host = spec.host ?? t.podIP;
  if ('tcpSocket' in h) return tcpProbe(host, port, timeoutMs);
  const g = h.httpGet;
  const url = new URL(`${g.scheme.toLowerCase()}://${host}:${port}`);
  const q = g.path.indexOf('?');
  url.pathname = q < 0 ? g.path : g.path.slice(0, q);
  if (q >= 0) url.search = g.path.slice(q);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const x of g.headers) headers[x.name] = x.value;
  return httpProbe(url, headers, timeoutMs);
}
