// The kubelet API of a node agent: HTTPS on the node's address, port 10250, with a serving
// certificate signed by the cluster CA (the API server checks it: --kubelet-certificate-authority)
// and a client certificate signed by the same CA required of every caller (the API server shows
// apiserver-kubelet-client); each call is authorized by the API server, as kubelet's webhook
// authorizer does (authz.ts). The paths are the ones the API server proxies to
// (pkg/kubelet/server/server.go at v1.34.2):
//   GET  /containerLogs/{namespace}/{pod}/{container}   logs (follow, tailLines, previous, limitBytes)
//   POST /exec/{namespace}/{pod}/{container}?command=…   SPDY upgrade, remote command protocol v4
//   POST /attach/{namespace}/{pod}/{container}          SPDY upgrade, the container's output
//   POST /portForward/{namespace}/{pod}                 SPDY upgrade, portforward.k8s.io
//   GET  /healthz
// (the forms with the pod's UID before the container are accepted too). Errors before an upgrade
// are plain-text HTTP errors, which kubectl shows after "unable to upgrade connection:".
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { SpdySession } from './spdy.js';
import { parseLogQuery, previousLogFile, streamLog } from './logs.js';
import {
  copyInto,
  exitStatus,
  finish,
  parseStreamOptions,
  REMOTECOMMAND_PROTOCOLS,
  resizeEvents,
  waitForChannels,
  type Channels,
  type StreamOptions,
} from './remotecommand.js';
import { PORTFORWARD_PROTOCOLS, servePortForward } from './port-forward.js';
import type { ContainerView, KubeletBackend, PodView } from './types.js';
import type { Console } from './console.js';
import { callerFromSubject, forbiddenMessage, requestAttributes, type KubeletAuthorizer } from './authz.js';

export const KUBELET_PORT = 10250;

export interface KubeletServerOptions {
  address: string;
  port?: number;
  cert: string;
  key: string;
  ca: string;
  /** The node's name (the authorization attributes name it). */
  node: string;
  authorizer: KubeletAuthorizer;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

/** {verb, namespace, pod, container} of a request path (the UID form drops the UID). */
export function route(path: string): { verb: string; namespace: string; pod: string; container?: string } | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [verb, namespace, pod, ...rest] = parts;
  if (!verb || !namespace || !pod) return undefined;
  if (verb === 'portForward' && rest.length <= 1) return { verb, namespace, pod };
  if (['exec', 'attach', 'containerLogs'].includes(verb) && (rest.length === 1 || rest.length === 2))
    return { verb, namespace, pod, container: rest[rest.length - 1] };
  return undefined;
}

/** The first protocol of the client's list (X-Stream-Protocol-Version, in its order) the server
 * speaks (k8s.io/apimachinery/pkg/util/httpstream Handshake). */
export function negotiate(header: string | string[] | undefined, server: string[]): string | undefined {
  const client = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim());
  return client.find((p) => server.includes(p));
}

export class KubeletServer {
  private readonly server: Server;
  private readonly sessions = new Set<SpdySession>();

  constructor(
    private readonly o: KubeletServerOptions,
    private readonly backend: KubeletBackend,
    private readonly log: (msg: string) => void,
  ) {
    this.server = createServer({ cert: o.cert, key: o.key, ca: o.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      this.request(req, res).catch((e: Error) => this.fail(res, e));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrade(req, socket, head).catch((e: Error) => this.failRaw(socket, e));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? KUBELET_PORT, this.o.address, () => resolve());
    });
  }

  close(): void {
    for (const s of this.sessions) s.close();
    this.server.close();
    this.server.closeAllConnections();
  }

  private find(namespace: string, name: string, container?: string): { pod: PodView; c?: ContainerView } {
    const pod = this.backend.pod(namespace, name);
    if (!pod) throw new HttpError(404, `pod "${namespace}/${name}" does not exist on this node`);
    if (container === undefined) return { pod };
    const c = pod.containers.get(container);
    if (!c) throw new HttpError(404, `container "${container}" not found in pod "${namespace}/${name}"`);
    return { pod, c };
  }

  /** kubelet's auth filter: every path, before anything else (server.go InstallAuthFilter). */
  private async authorize(req: IncomingMessage, path: string): Promise<void> {
    const caller = callerFromSubject((req.socket as TLSSocket).getPeerCertificate().subject);
    if (!caller) throw new HttpError(401, 'Unauthorized');
    const attrs = requestAttributes(req.method ?? '', path, this.o.node);
    let ok: boolean;
    try {
      ok = await this.o.authorizer.allowed(caller, attrs);
    } catch (e) {
      this.log(`kubelet API: authorizing ${caller.user}: ${(e as Error).message}`);
      const a = attrs[0];
      throw new HttpError(500, `Authorization error (user=${caller.user}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresource})`);
    }
    if (!ok) throw new HttpError(403, forbiddenMessage(caller, attrs));
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    await this.authorize(req, url.pathname);
    if (url.pathname === '/healthz') return void res.end('ok');
    const r = route(url.pathname);
    if (!r || r.verb !== 'containerLogs' || req.method !== 'GET') throw new HttpError(404, `this kubelet does not serve ${req.method} ${url.pathname}`);
    const { pod, c } = this.find(r.namespace, r.pod, r.container);
    const q = parseLogQuery(url.searchParams);
    if ('error' in q) throw new HttpError(400, q.error);
    const file = q.previous ? previousLogFile(c!.log) : c!.log;
    if (q.previous && !existsSync(file)) throw new HttpError(400, `previous terminated container "${r.container}" in pod "${pod.name}" not found`);
    if (!q.previous && !existsSync(file))
      throw new HttpError(400, `container "${r.container}" in pod "${pod.name}" is waiting to start: ${c!.waiting ?? 'ContainerCreating'}`);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    const running = () => this.backend.pod(r.namespace, r.pod)?.containers.get(r.container!)?.running ?? false;
    await streamLog(file, q, res, () => !q.previous && running());
  }

  private fail(res: ServerResponse, e: Error): void {
    const status = e instanceof HttpError ? e.status : 500;
    if (status === 500) this.log(`kubelet API: ${e.stack ?? e.message}`);
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(e.message);
  }

  private failRaw(socket: Duplex, e: Error, headers: string[] = []): void {
    const status = e instanceof HttpError ? e.status : 500;
    if (status === 500) this.log(`kubelet API: ${e.stack ?? e.message}`);
    const body = Buffer.from(e.message);
    socket.end(
      [
        `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${body.length}`,
        ...headers,
        '',
        '',
      ].join('\r\n') + body.toString(),
    );
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    await this.authorize(req, url.pathname);
    const r = route(url.pathname);
    if (!r || !['exec', 'attach', 'portForward'].includes(r.verb)) throw new HttpError(404, `this kubelet does not serve ${url.pathname}`);
    if (!/^spdy\/3\.1$/i.test(String(req.headers.upgrade ?? '')))
      throw new HttpError(400, `unable to upgrade, this kubelet speaks SPDY/3.1 (the API server's protocol to kubelets), not "${req.headers.upgrade}"`);
    const { pod, c } = this.find(r.namespace, r.pod, r.container);
    const server = r.verb === 'portForward' ? PORTFORWARD_PROTOCOLS : REMOTECOMMAND_PROTOCOLS;
    const protocol = negotiate(req.headers['x-stream-protocol-version'], server);
    if (!protocol) {
      const e = new HttpError(
        403,
        `unable to upgrade: unable to negotiate protocol: client supports ${req.headers['x-stream-protocol-version']}, server accepts ${server}`,
      );
      return this.failRaw(
        socket,
        e,
        server.map((p) => `X-Accepted-Stream-Protocol-Versions: ${p}`),
      );
    }
    let opts: StreamOptions | undefined;
    if (r.verb !== 'portForward') {
      // kubelet's words (pkg/kubelet/kubelet_pods.go findContainer); no ": " in the text, which
      // the API server's client would read as a YAML Status and lose.
      if (!c!.running) throw new HttpError(404, `container not found ("${r.container}")`);
      const parsed = parseStreamOptions(url.searchParams);
      if ('error' in parsed) throw new HttpError(400, parsed.error);
      opts = parsed;
      if (r.verb === 'exec' && url.searchParams.getAll('command').length === 0) throw new HttpError(400, 'missing "command" query parameter');
    }
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${protocol}`, '', ''].join('\r\n'),
    );
    if (head.length > 0) socket.unshift(head);
    const session = new SpdySession(socket);
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('protocolError', (e: Error) => this.log(`kubelet API: ${r.verb} ${r.namespace}/${r.pod}: ${e.message}`));
    if (r.verb === 'portForward') return servePortForward(session, pod.name, pod.uid, (port) => this.backend.connect(pod, port));
    if (r.verb === 'exec') return this.exec(session, pod, r.container!, url.searchParams.getAll('command'), opts!);
    return this.attach(session, pod, r.container!, c!, opts!);
  }

  private async exec(session: SpdySession, pod: PodView, container: string, command: string[], o: StreamOptions): Promise<void> {
    const ch = await waitForChannels(session, o);
    const proc = this.backend.exec(pod, container, command, o.tty);
    session.on('close', () => proc.kill());
    if (ch.stdin) {
      ch.stdin.on('data', (d: Buffer) => proc.stdin.write(d));
      ch.stdin.on('end', () => proc.stdin.end());
    } else proc.stdin.end();
    if (ch.resize) resizeEvents(ch.resize, (cols, rows) => proc.resize(cols, rows));
    const copied = Promise.all([copyInto(proc.stdout, ch.stdout), proc.stderr ? copyInto(proc.stderr, ch.stderr) : undefined]);
    const code = await proc.exited;
    await copied;
    await finish(session, ch, exitStatus(code));
  }

  /** A container's own output from now on, until it exits or the client detaches; with a
   * console (a container started with stdin open) what the user types goes to it too. Other
   * containers here run without stdin: what a user types is not read. */
  private async attach(session: SpdySession, pod: PodView, container: string, c: ContainerView, o: StreamOptions): Promise<void> {
    const ch = await waitForChannels(session, o);
    const console = this.backend.console(pod, container);
    if (console) return this.attachConsole(session, ch, console);
    ch.stdin?.resume();
    ch.resize?.resume();
    const running = () => this.backend.pod(pod.namespace, pod.name)?.containers.get(container)?.running ?? false;
    let gone = false;
    session.on('close', () => (gone = true));
    const out = ch.stdout ?? ch.stderr;
    if (out) await streamLog(c.log, { follow: true, previous: false, tailLines: 0 }, out, () => running() && !gone);
    if (gone) return;
    await finish(session, ch, exitStatus(0));
  }

  private async attachConsole(session: SpdySession, ch: Channels, console: Console): Promise<void> {
    const out = ch.stdout ?? ch.stderr;
    const unsubscribe = console.subscribe((d) => out?.write(d));
    if (ch.stdin) {
      ch.stdin.on('data', (d: Buffer) => console.proc.stdin.write(d));
      ch.stdin.on('end', () => console.stdinOnce && console.proc.stdin.end());
    }
    if (ch.resize) resizeEvents(ch.resize, (cols, rows) => console.proc.resize(cols, rows));
    const gone = new Promise<'gone'>((resolve) => session.on('close', () => resolve('gone')));
    const why = await Promise.race([console.exited.then(() => 'exited' as const), gone]);
    unsubscribe();
    if (why === 'exited') await finish(session, ch, exitStatus(0));
  }
}
