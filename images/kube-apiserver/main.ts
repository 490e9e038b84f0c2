// wirelab's read-only Kubernetes API server as a process:
//
//   node --import tsx images/kube-apiserver/main.ts --model <model.json> --listen <ip:port>
//        [--ready-file PATH] [--kubeconfig PATH] [--log-requests]
//
// Serves the ClusterModel JSON at --model and re-reads it when it changes (polled every
// 200 ms), so that watchers (CoreDNS) get ADDED/MODIFIED/DELETED events. Writers should
// replace the file atomically (write a temporary file, rename it); a file that does not parse
// is reported and skipped, the last good state stays served. Once listening, writes the
// server's URL to --ready-file (and a kubeconfig to --kubeconfig). Exits on SIGTERM/SIGINT.
import { readFileSync, renameSync, rmSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClusterModel } from '../../src/model/types.js';
import { renderKubeconfig } from './kubeconfig.js';
import { toK8sObjects } from './objects.js';
import { startApiServer, type RequestLogEntry } from './server.js';
import { VersionedStore, type StoreEvent } from './store.js';

export interface CliOptions {
  model: string;
  host: string;
  port: number;
  readyFile?: string;
  kubeconfig?: string;
  logRequests: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = 'usage: apiserver --model <model.json> --listen <ip:port> [--ready-file PATH] [--kubeconfig PATH] [--log-requests]';

/** "127.0.0.1:6443", "[::1]:6443" -> host and port. */
export function parseListen(s: string): { host: string; port: number } {
  const m = s.match(/^\[([^\]]+)\]:(\d+)$/) ?? s.match(/^([^:]+):(\d+)$/);
  if (!m) throw new UsageError(`--listen wants <ip:port>, got ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} is out of range`);
  return { host: m[1], port };
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let model: string | undefined;
  let listen: { host: string; port: number } | undefined;
  let readyFile: string | undefined;
  let kubeconfig: string | undefined;
  let logRequests = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model':
        model = value();
        break;
      case '--listen':
        listen = parseListen(value());
        break;
      case '--ready-file':
        readyFile = value();
        break;
      case '--kubeconfig':
        kubeconfig = value();
        break;
      case '--log-requests':
        logRequests = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (!model) throw new UsageError('--model is required');
  if (!listen) throw new UsageError('--listen is required');
  return { model, ...listen, ...(readyFile ? { readyFile } : {}), ...(kubeconfig ? { kubeconfig } : {}), logRequests };
}

/** Reads a ClusterModel JSON file, with a check that it is one. */
export function readModelFile(path: string): ClusterModel {
  const model = JSON.parse(readFileSync(path, 'utf8')) as ClusterModel;
  for (const field of ['nodes', 'pods', 'services', 'endpointSlices'] as const) {
    if (!Array.isArray(model?.[field])) throw new Error(`${path}: not a cluster model (no "${field}" array)`);
  }
  return model;
}

export interface ModelServerOptions {
  modelPath: string;
  host: string;
  port: number;
  /** fs.watchFile interval (default 200 ms). */
  pollMs?: number;
  /** resourceVersion of the empty store: by default the clock in ms, so that a restarted
   * server's versions are newer than anything an earlier one handed out (clients holding an
   * old one are told 410 Gone and re-list, instead of resuming into unrelated history). */
  initialResourceVersion?: number;
  onRequest?: (entry: RequestLogEntry) => void;
  onEvents?: (events: StoreEvent[]) => void;
  onError?: (error: Error) => void;
}

export interface ModelServer {
  url: string;
  store: VersionedStore;
  /** Re-reads the model file now (also done automatically when it changes). */
  reload(): StoreEvent[];
  close(): Promise<void>;
}

/** Loads the model file, serves it, and follows its changes. */
export async function serveModelFile(opts: ModelServerOptions): Promise<ModelServer> {
  const store = new VersionedStore({ initialResourceVersion: opts.initialResourceVersion ?? Date.now() });
  const reload = () => {
    const events = store.setAll(toK8sObjects(readModelFile(opts.modelPath)));
    if (events.length > 0) opts.onEvents?.(events);
    return events;
  };
  reload(); // the first read must succeed: fail loudly before listening
  const server = await startApiServer({ host: opts.host, port: opts.port, store, ...(opts.onRequest ? { onRequest: opts.onRequest } : {}) });
  const listener = (curr: { mtimeMs: number; size: number; ino: number }, prev: { mtimeMs: number; size: number; ino: number }) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    if (curr.mtimeMs === 0 && curr.size === 0) return; // gone for a moment (replaced by rename)
    try {
      reload();
    } catch (e) {
      opts.onError?.(e as Error);
    }
  };
  watchFile(opts.modelPath, { interval: opts.pollMs ?? 200, persistent: true }, listener);
  return {
    url: server.url,
    store,
    reload,
    close: async () => {
      unwatchFile(opts.modelPath, listener);
      await server.close();
    },
  };
}

/** "DELETED services default/web, ..." or, for many events, counts per kind and type. */
export function describeEvents(events: readonly StoreEvent[]): string {
  if (events.length <= 12) {
    return events.map((e) => `${e.type} ${e.kind} ${e.object.metadata.namespace ? e.object.metadata.namespace + '/' : ''}${e.object.metadata.name}`).join(', ');
  }
  const counts = new Map<string, number>();
  for (const e of events) counts.set(`${e.type} ${e.kind}`, (counts.get(`${e.type} ${e.kind}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function main(argv: readonly string[]): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`apiserver: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = (msg: string) => process.stderr.write(`apiserver: ${msg}\n`);
  const server = await serveModelFile({
    modelPath: opts.model,
    host: opts.host,
    port: opts.port,
    onError: (e) => log(`model not reloaded: ${e.message}`),
    onEvents: (events) => log(`model changed: ${describeEvents(events)}`),
    ...(opts.logRequests ? { onRequest: (r: RequestLogEntry) => log(`${r.method} ${r.url} -> ${r.status}${r.accept ? ` (Accept: ${r.accept})` : ''}`) } : {}),
  });
  if (opts.kubeconfig) writeAtomically(opts.kubeconfig, renderKubeconfig(server.url));
  if (opts.readyFile) writeAtomically(opts.readyFile, `${server.url}\n`);
  log(`serving ${opts.model} on ${server.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    if (opts.readyFile) rmSync(opts.readyFile, { force: true });
    const forced = setTimeout(() => process.exit(0), 2000);
    forced.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`apiserver: ${e.message}\n`);
    process.exit(1);
  });
}
