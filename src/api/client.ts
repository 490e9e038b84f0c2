// A small client of the Kubernetes API over HTTPS with client certificates: requests, the
// API's Status errors as exceptions, and streaming watches (newline-delimited JSON events).
// Objects stay raw JSON, the shape the k8s/ parsers read. Written here rather than taken from
// @kubernetes/client-node: 2.x needs Node 22, 1.x turns objects into class instances with Date
// fields, and what the agents need (list, watch with bookmarks, 410 relist, patch) is small.
import { Agent, request, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';

/** Where the API server is and who we are: its CA, a client certificate. */
export interface ApiEndpoint {
  /** https://host:port ... */
  server?: string;
  /** ... or a unix socket that reaches it (from outside the lab's network). */
  socketPath?: string;
  /** The name the server's certificate has (with a socket, or an address it does not list). */
  servername?: string;
  ca: string;
  cert: string;
  key: string;
}

/** PEM files instead of their contents. */
export function endpointFromFiles(o: {
  server?: string;
  socketPath?: string;
  servername?: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}): ApiEndpoint {
  return {
    server: o.server,
    socketPath: o.socketPath,
    servername: o.servername,
    ca: readFileSync(o.caFile, 'utf8'),
    cert: readFileSync(o.certFile, 'utf8'),
    key: readFileSync(o.keyFile, 'utf8'),
  };
}

/** A Kubernetes object as JSON. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface WatchEvent<T = K8sObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** The API's answer to a failed request (a metav1.Status), as an exception. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  private readonly agent: Agent;

  constructor(readonly endpoint: ApiEndpoint) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  private options(method: string, path: string, headers: Record<string, string>): RequestOptions {
    const e = this.endpoint;
    const url = e.server ? new URL(path, e.server) : undefined;
    return {
      method,
      path: url ? `${url.pathname}${url.search}` : path,
      ...(url ? { hostname: url.hostname, port: url.port || 443 } : { socketPath: e.socketPath }),
      servername: e.servername ?? (url && !/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname) ? url.hostname : undefined),
      ca: e.ca,
      cert: e.cert,
      key: e.key,
      agent: this.agent,
      headers: { Accept: 'application/json', 'User-Agent': 'wirelab', ...headers },
    };
  }

  /** One request; JSON in and out. A status >= 400 throws the API's message. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = data === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(data)) };
    return new Promise<T>((resolve, reject) => {
      const req = request(this.options(method, path, headers), (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const s = (json ?? {}) as { message?: string; reason?: string };
            reject(new ApiError(status, s.reason ?? String(status), s.message ?? (text.trim() || `HTTP ${status}`), json));
          } else resolve(json as T);
        });
      });
      req.on('error', reject);
      // A request (not a watch) that hangs would stall a node agent's reconcile for good.
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`${method} ${path}: no answer from the API server within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      );
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  get<T = K8sObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** A list and its resourceVersion (where a watch continues from). */
  async list<T = K8sObject>(path: string): Promise<{ items: T[]; resourceVersion: string }> {
    const r = await this.request<{ apiVersion?: string; kind?: string; items?: T[]; metadata?: { resourceVersion?: string } }>('GET', path);
    // A list's items leave out their kind and apiVersion (the list says them once); the objects
    // of a watch have them. Filled in, so both read the same.
    const kind = r.kind?.replace(/List$/, '');
    const items = (r.items ?? []).map((o) => ({ apiVersion: r.apiVersion, kind, ...(o as object) }) as T);
    return { items, resourceVersion: r.metadata?.resourceVersion ?? '' };
  }

  create<T = K8sObject>(path: string, obj: unknown): Promise<T> {
    return this.request<T>('POST', path, obj);
  }

  /** A merge patch (or, with 'apply', server-side apply as this field manager). */
  patch<T = K8sObject>(path: string, patch: unknown, type: 'merge' | 'strategic' | 'apply' = 'merge', fieldManager = 'wirelab'): Promise<T> {
    const contentType = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' }[
      type
    ];
    const sep = path.includes('?') ? '&' : '?';
    const q = type === 'apply' ? `${sep}fieldManager=${encodeURIComponent(fieldManager)}&force=true` : '';
    return this.request<T>('PATCH', `${path}${q}`, patch, contentType);
  }

  delete<T = K8sObject>(path: string, options?: { gracePeriodSeconds?: number }): Promise<T> {
    return this.request<T>('DELETE', path, options ? { kind: 'DeleteOptions', apiVersion: 'v1', ...options } : undefined);
  }

  /** Streams watch events until the server ends the watch, the signal aborts, or it fails.
   * Resolves when the stream ends (the caller watches again from the last resourceVersion). */
  watch<T = K8sObject>(path: string, onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = request(this.options('GET', path, {}), (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            const s = (() => {
              try {
                return JSON.parse(text) as { message?: string; reason?: string };
              } catch {
                return {};
              }
            })();
            reject(new ApiError(res.statusCode ?? 0, s.reason ?? '', s.message ?? text));
          });
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          pending += d;
          let i: number;
          while ((i = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, i).trim();
            pending = pending.slice(i + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch (e) {
              // A handler that cannot go on (an ERROR event: the version is gone) ends the watch.
              req.destroy();
              reject(e);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      });
      const abort = () => {
        req.destroy();
        resolve();
      };
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
      req.end();
    });
  }
}
