// Waiting for what a lab starts to be ready: a file a process writes, a socket it listens on,
// routes a routing daemon installs. Each wait fails naming what is not ready, with the last
// lines of its log, and stops early when the process died.
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { run } from './exec.js';
import { isAlive } from './processes.js';

const lastLines = async (log: string | undefined) =>
  log ? (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ') || 'no output' : '';

/** Waits until each file exists; fails naming the ones that did not appear (with their logs). */
export async function waitForFiles(files: { path: string; what: string; log?: string }[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let pending = files;
  while (pending.length > 0) {
    pending = pending.filter((f) => !existsSync(f.path));
    if (pending.length === 0) return;
    if (performance.now() > deadline) {
      const details = await Promise.all(pending.map(async (f) => `${f.what}${f.log ? `: ${await lastLines(f.log)}` : ''}`));
      throw new Error(`not ready after ${timeoutMs} ms: ${details.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Whether a socket in the process's network namespace is bound to the UDP port (read from
 * /proc/<pid>/net/udp and udp6, which show that namespace's sockets). */
export async function listensUdp(pid: number, port: number): Promise<boolean> {
  return listens(pid, port, ['udp', 'udp6']);
}

/** TCP: a socket in LISTEN state (0A) on the port. */
export async function listensTcp(pid: number, port: number): Promise<boolean> {
  return listens(pid, port, ['tcp', 'tcp6'], '0A');
}

async function listens(pid: number, port: number, files: string[], state?: string): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const f of files) {
    const text = await readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '');
    if (
      text
        .split('\n')
        .slice(1)
        .some((l) => {
          const cols = l.trim().split(/\s+/);
          return cols[1]?.endsWith(hex) && (state === undefined || cols[3] === state);
        })
    )
      return true;
  }
  return false;
}

export async function waitForListening(items: { pid: number; port: number; what: string; log?: string; tcp?: boolean }[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let pending = items;
  while (pending.length > 0) {
    const next = [];
    for (const it of pending) if (!(await (it.tcp ? listensTcp(it.pid, it.port) : listensUdp(it.pid, it.port)))) next.push(it);
    pending = next;
    if (pending.length === 0) return;
    const dead = pending.find((it) => !isAlive(it.pid));
    if (dead || performance.now() > deadline) {
      const details = await Promise.all(pending.map(async (f) => `${f.what}${dead === f ? ' exited' : ''}: ${await lastLines(f.log)}`));
      throw new Error(`not listening on ${pending[0].tcp ? 'TCP' : 'UDP'} ${pending[0].port}${dead ? '' : ` after ${timeoutMs} ms`}: ${details.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls each namespace's routing table until it has every listed destination (a routing
 * daemon such as BIRD installs them); fails naming what is still missing. */
/** The destinations a namespace's main routing table has routes to. */
export async function routeDestinations(netns: string): Promise<Set<string>> {
  const out = (await run(['ip', '-n', netns, 'route', 'show'], { allowFailure: true })).stdout;
  return new Set(out.split('\n').map((l) => l.split(' ')[0]));
}

export async function waitForRoutes(items: { netns: string; routes: string[] }[], timeoutMs: number, checkInterrupted: () => void = () => {}): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let pending = items.filter((i) => i.routes.length > 0);
  while (pending.length > 0) {
    checkInterrupted();
    const next: typeof pending = [];
    const missing: string[] = [];
    for (const it of pending) {
      const table = (await run(['ip', '-n', it.netns, 'route', 'show'], { allowFailure: true })).stdout.split('\n').map((l) => l.split(' ')[0]);
      const lacking = it.routes.filter((r) => !table.includes(r));
      if (lacking.length > 0) {
        next.push(it);
        missing.push(`${it.netns}: ${lacking.join(', ')}`);
      }
    }
    pending = next;
    if (pending.length === 0) return;
    if (performance.now() > deadline) throw new Error(`routes not learned after ${timeoutMs} ms: ${missing.join('; ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until GET <path> answers 200 over HTTPS through a unix socket (the API server's
 * /readyz); fails with the last answer and the log's last lines, or when the process died. */
export async function waitForHttps(
  items: { pid: number; what: string; log?: string; socketPath: string; path: string; servername: string; caFile: string; certFile: string; keyFile: string }[],
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const it of items) {
    const tls = { ca: readFileSync(it.caFile), cert: readFileSync(it.certFile), key: readFileSync(it.keyFile) };
    for (;;) {
      const r = await new Promise<{ status: number; body: string } | string>((resolve) => {
        const req = httpsRequest({ socketPath: it.socketPath, path: it.path, servername: it.servername, ...tls, timeout: 2000 }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', (e) => resolve(e.message));
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.end();
      });
      if (typeof r !== 'string' && r.status === 200) break;
      const last = typeof r === 'string' ? r : `HTTP ${r.status}: ${r.body.trim().split('\n').slice(-3).join(' | ')}`;
      if (!isAlive(it.pid) || performance.now() > deadline) {
        throw new Error(`${it.what} ${isAlive(it.pid) ? `not ready after ${timeoutMs} ms` : 'exited'} (${it.path}: ${last}): ${await lastLines(it.log)}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}
