// A container's readinessProbe (k8s.io/api/core/v1 Probe) as kubelet acts on it: one handler
// (httpGet, tcpSocket or exec) and its timing, with the API server's defaults filled in
// (pkg/apis/core/v1/defaults.go SetDefaults_Probe at v1.34.2: timeout 1 s, period 10 s,
// success threshold 1, failure threshold 3; HTTPGetAction: path "/", scheme HTTP).
import { isObj } from './walk.js';

export type ProbeHandler =
  | { httpGet: { path: string; port: number | string; scheme: 'HTTP' | 'HTTPS'; host?: string; headers: { name: string; value: string }[] } }
  | { tcpSocket: { port: number | string; host?: string } }
  | { exec: { command: string[] } };

export interface Probe {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

const count = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt);
const portOf = (v: unknown): number | string | undefined => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? v : undefined);

/** The probe as the API server stores it, or undefined when there is none (or it names no
 * handler kubelet can run: grpc is not reproduced). */
export function parseProbe(raw: unknown): Probe | undefined {
  if (!isObj(raw)) return undefined;
  let handler: ProbeHandler | undefined;
  if (isObj(raw.httpGet) && portOf(raw.httpGet.port) !== undefined) {
    const h = raw.httpGet;
    const headers = Array.isArray(h.httpHeaders) ? h.httpHeaders.filter(isObj).map((x) => ({ name: String(x.name), value: String(x.value ?? '') })) : [];
    handler = {
      httpGet: {
        path: typeof h.path === 'string' && h.path !== '' ? h.path : '/',
        port: portOf(h.port)!,
        scheme: h.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
        ...(typeof h.host === 'string' && h.host !== '' ? { host: h.host } : {}),
        headers,
      },
    };
  } else if (isObj(raw.tcpSocket) && portOf(raw.tcpSocket.port) !== undefined) {
    const host = raw.tcpSocket.host;
    handler = { tcpSocket: { port: portOf(raw.tcpSocket.port)!, ...(typeof host === 'string' && host !== '' ? { host } : {}) } };
  } else if (isObj(raw.exec) && Array.isArray(raw.exec.command) && raw.exec.command.length > 0) {
    handler = { exec: { command: raw.exec.command.map(String) } };
  }
  if (!handler) return undefined;
  return {
    handler,
    initialDelaySeconds: typeof raw.initialDelaySeconds === 'number' && raw.initialDelaySeconds > 0 ? Math.floor(raw.initialDelaySeconds) : 0,
    timeoutSeconds: count(raw.timeoutSeconds, 1),
    periodSeconds: count(raw.periodSeconds, 10),
    successThreshold: count(raw.successThreshold, 1),
    failureThreshold: count(raw.failureThreshold, 3),
  };
}

/** A probe's port: a number, or the name of one of the container's ports
 * (pkg/probe/util.go ResolveContainerPort: the name first, then a number written as text);
 * undefined when neither gives a port. */
export function resolveProbePort(port: number | string, ports: readonly { name?: string; containerPort: number }[]): number | undefined {
  const n = typeof port === 'number' ? port : (ports.find((p) => p.name === port)?.containerPort ?? (/^\d+$/.test(port) ? Number(port) : -1));
  return n > 0 && n < 65536 ? n : undefined;
}
