// Port forwarding on a SPDY session (protocol portforward.k8s.io, as the kubelet serves it:
// pkg/cri/streaming/portforward/httpstream.go in k8s.io/kubelet v0.34.2). kubectl 1.34 talks
// WebSocket to the API server, which tunnels the SPDY bytes through to here unchanged
// (PortForwardWebsockets). For every connection kubectl accepts it opens two streams with the
// same requestID header: "error" and "data", both with the pod's port; the data stream is
// joined to a connection to that port on the pod's loopback, and a failure is written to the
// error stream (kubectl prints it) before both are reset. The session lasts as long as
// kubectl's port-forward runs.
import type { SpdySession, SpdyStream } from './spdy.js';

export const PORTFORWARD_PROTOCOLS = ['portforward.k8s.io'];

export interface Connection {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  exited: Promise<number>;
  kill(): void;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** The requestID of a stream (older clients send none: kubelet derives it from the stream id). */
export function requestId(s: { id: number; headers: Record<string, string> }): string {
  if (s.headers.requestid) return s.headers.requestid;
  return String(s.headers.streamtype === 'error' ? s.id : s.id - 2);
}

/** A port header kubelet accepts: 1-65535. */
export function parsePort(v: string | undefined): number | { error: string } {
  const n = Number(v);
  if (v === undefined || v === '') return { error: '"port" header is required' };
  if (!Number.isInteger(n) || n < 1 || n > 65535) return { error: `unable to parse "${v}" as a port` };
  return n;
}

export function servePortForward(session: SpdySession, pod: string, uid: string, connect: (port: number) => Connection): void {
  const pairs = new Map<string, Pair>();
  const open = new Set<Connection>();
  session.on('close', () => {
    for (const c of open) c.kill();
  });
  session.on('stream', (s: SpdyStream) => {
    const port = parsePort(s.headers.port);
    if (typeof port === 'object') return s.reset();
    void s.reply();
    const id = requestId(s);
    const pair = pairs.get(id) ?? {};
    pairs.set(id, pair);
    if (s.headers.streamtype === 'error') pair.error = s;
    else if (s.headers.streamtype === 'data') pair.data = s;
    else return s.reset();
    if (!pair.error || !pair.data) return;
    pairs.delete(id);
    const { error, data } = pair;
    const conn = connect(port);
    open.add(conn);
    let stderr = '';
    conn.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    data.on('data', (d: Buffer) => conn.stdin.write(d));
    data.on('end', () => conn.stdin.end());
    conn.stdout.on('data', (d: Buffer) => data.write(d));
    void conn.exited.then((code) => {
      open.delete(conn);
      if (code === 0) {
        data.end();
        error.end();
        return;
      }
      const why = stderr.trim().split('\n').pop()?.replace(/^.*E /, '') || `exit code ${code}`;
      error.end(`error forwarding port ${port} to pod ${pod}, uid ${uid}: ${why}`, () => {
        data.reset();
        error.reset();
      });
    });
  });
}
