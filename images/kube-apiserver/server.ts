// A minimal read-only Kubernetes API server on node:http: discovery, list, get and watch of
// the lab's Namespaces, Nodes, Pods, Services, Endpoints and EndpointSlices, in JSON, over
// plain HTTP without authentication. Enough for client-go informers (CoreDNS's kubernetes
// plugin): lists carry the store's resourceVersion, watches resume from one, stream
// newline-delimited `{"type":…,"object":…}` events, answer sendInitialEvents=true (the
// WatchList protocol client-go >= 1.35 uses by default) with synthetic ADDED events and the
// `k8s.io/initial-events-end` bookmark, send bookmarks when allowed, and end after
// timeoutSeconds. Clients asking for protobuf get JSON (Content-Type says so; client-go
// decodes by the response's Content-Type).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREATION_TIMESTAMP } from './objects.js';
import {
  InvalidResourceVersionError,
  ResourceVersionExpiredError,
  parseResourceVersion,
  type ResourceKind,
  type StoreEvent,
  type VersionedStore,
} from './store.js';
import { SelectorError, parseFieldSelector, parseLabelSelector, type ObjectPredicate } from './selectors.js';

export interface ResourceInfo {
  /** URL segment (plural). */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  storeKind: ResourceKind;
}

export interface GroupVersion {
  /** "" for the core group. */
  group: string;
  version: string;
  resources: ResourceInfo[];
}

export const API_GROUPS: GroupVersion[] = [
  {
    group: '',
    version: 'v1',
    resources: [
      { name: 'endpoints', singularName: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], storeKind: 'endpoints' },
      { name: 'namespaces', singularName: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], storeKind: 'namespaces' },
      { name: 'nodes', singularName: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], storeKind: 'nodes' },
      { name: 'pods', singularName: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], storeKind: 'pods' },
      { name: 'services', singularName: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], storeKind: 'services' },
    ],
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    resources: [{ name: 'endpointslices', singularName: 'endpointslice', kind: 'EndpointSlice', namespaced: true, storeKind: 'endpointSlices' }],
  },
];

export const SERVER_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-wirelab',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: CREATION_TIMESTAMP,
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const VERBS = ['get', 'list', 'watch'];

export interface RequestLogEntry {
  method: string;
  url: string;
  accept?: string;
  userAgent?: string;
  status: number;
  watch: boolean;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  store: VersionedStore;
  /** Called once per request when its status is known (before a watch stream's end). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** Interval of periodic BOOKMARK events on watches with allowWatchBookmarks=true. */
  bookmarkIntervalMs?: number;
}

export interface ApiServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

function apiVersionOf(gv: GroupVersion): string {
  return gv.group === '' ? gv.version : `${gv.group}/${gv.version}`;
}

function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function resourceList(gv: GroupVersion) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(gv),
    resources: gv.resources.map((r) => ({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
  };
}

function apiGroup(gv: GroupVersion) {
  const v = { groupVersion: apiVersionOf(gv), version: gv.version };
  return { name: gv.group, versions: [v], preferredVersion: v };
}

interface ParsedPath {
  gv: GroupVersion;
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  /** The legacy /watch/ path prefix was used. */
  watchPath: boolean;
}

type Route = { type: 'json'; body: unknown } | { type: 'resource'; path: ParsedPath } | { type: 'notFound' } | { type: 'text'; body: string };

function route(pathname: string, hostHeader: string | undefined): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/version') return { type: 'json', body: SERVER_VERSION };
  if (p === '/healthz' || p === '/livez' || p === '/readyz') return { type: 'text', body: 'ok' };
  if (p === '/api') {
    return {
      type: 'json',
      body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostHeader ?? '' }] },
    };
  }
  if (p === '/apis') {
    return { type: 'json', body: { kind: 'APIGroupList', apiVersion: 'v1', groups: API_GROUPS.filter((g) => g.group !== '').map(apiGroup) } };
  }
  const segs = p
    .split('/')
    .filter((s) => s.length > 0)
    .map(decodeURIComponent);
  let gv: GroupVersion | undefined;
  let rest: string[];
  if (segs[0] === 'api') {
    gv = API_GROUPS.find((g) => g.group === '' && g.version === segs[1]);
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 2) {
      const g = API_GROUPS.find((x) => x.group === segs[1]);
      return g ? { type: 'json', body: { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } } : { type: 'notFound' };
    }
    gv = API_GROUPS.find((g) => g.group === segs[1] && g.version === segs[2] && g.group !== '');
    rest = segs.slice(3);
  } else return { type: 'notFound' };
  if (!gv) return { type: 'notFound' };
  if (rest.length === 0) return { type: 'json', body: resourceList(gv) };

  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  const find = (name: string | undefined) => gv!.resources.find((r) => r.name === name);
  // /namespaces/{ns}/{resource}[/{name}]
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const resource = find(rest[2]);
    if (!resource || !resource.namespaced || rest.length > 4) return { type: 'notFound' };
    return { type: 'resource', path: { gv, resource, namespace: rest[1], name: rest[3], watchPath } };
  }
  // /{resource}[/{name}]: all namespaces, or a cluster-scoped resource (core namespaces too)
  const resource = find(rest[0]);
  if (!resource || rest.length > 2) return { type: 'notFound' };
  if (rest.length === 2 && resource.namespaced) return { type: 'notFound' };
  return { type: 'resource', path: { gv, resource, name: rest[1], watchPath } };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { store } = opts;
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 30_000;
  const streams = new Set<() => void>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let logged = false;
    const log = (status: number, watch: boolean) => {
      if (logged) return;
      logged = true;
      opts.onRequest?.({
        method: req.method ?? '',
        url: req.url ?? '',
        ...(req.headers.accept ? { accept: req.headers.accept } : {}),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
        status,
        watch,
      });
    };
    const sendJson = (status: number, body: unknown, watch = false) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
      res.end(text);
      log(status, watch);
    };
    const sendStatus = (code: number, reason: string, message: string, details?: Record<string, unknown>) =>
      sendJson(code, statusObject(code, reason, message, details));

    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        sendStatus(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (wirelab's API server is read-only)`);
        return;
      }
      const r = route(url.pathname, req.headers.host);
      if (r.type === 'notFound') {
        sendStatus(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`, {
          causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
        });
        return;
      }
      if (r.type === 'text') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(r.body) });
        res.end(r.body);
        log(200, false);
        return;
      }
      if (r.type === 'json') {
        sendJson(200, r.body);
        return;
      }
      const { gv, resource, namespace, name, watchPath } = r.path;
      const q = url.searchParams;
      let selects: ObjectPredicate;
      try {
        const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
        const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
        selects = (o) =>
          (namespace === undefined || o.metadata.namespace === namespace) && (name === undefined || o.metadata.name === name) && labels(o) && fields(o);
      } catch (e) {
        if (e instanceof SelectorError) return sendStatus(400, 'BadRequest', e.message);
        throw e;
      }
      const apiVersion = apiVersionOf(gv);
      const watch = watchPath || isTrue(q.get('watch'));

      if (!watch) {
        if (name !== undefined) {
          const o = store.get(resource.storeKind, resource.namespaced ? namespace : undefined, name);
          if (!o) {
            return sendStatus(404, 'NotFound', `${resource.name}${gv.group ? '.' + gv.group : ''} "${name}" not found`, {
              name,
              ...(gv.group ? { group: gv.group } : {}),
              kind: resource.name,
            });
          }
          return sendJson(200, o);
        }
        const rvParam = q.get('resourceVersion') ?? undefined;
        let requested: number | undefined;
        try {
          requested = parseResourceVersion(rvParam);
        } catch (e) {
          if (e instanceof InvalidResourceVersionError) return sendStatus(400, 'BadRequest', e.message);
          throw e;
        }
        const { items, resourceVersion } = store.list(resource.storeKind);
        if (q.get('resourceVersionMatch') === 'Exact' && requested !== undefined && String(requested) !== resourceVersion) {
          return sendStatus(410, 'Expired', `too old resource version: ${requested} (${resourceVersion})`);
        }
        return sendJson(200, {
          kind: `${resource.kind}List`,
          apiVersion,
          metadata: { resourceVersion },
          items: items.filter(selects),
        });
      }

      // ---- watch ----------------------------------------------------------------------
      const sendInitialEvents = isTrue(q.get('sendInitialEvents'));
      const allowBookmarks = isTrue(q.get('allowWatchBookmarks'));
      const rvParam = q.get('resourceVersion') ?? '';
      const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '');
      let from: number | undefined;
      try {
        from = parseResourceVersion(rvParam);
      } catch (e) {
        if (e instanceof InvalidResourceVersionError) return sendStatus(400, 'BadRequest', e.message);
        throw e;
      }

      // No Content-Length: node streams the body chunked. Headers go out now, because
      // client-go's Watch() returns only once it has them.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
      log(200, true);
      const write = (type: string, object: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
      };
      const bookmark = (rv: number | string, initialEventsEnd = false) =>
        write('BOOKMARK', {
          kind: resource.kind,
          apiVersion,
          metadata: { resourceVersion: String(rv), ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}) },
        });

      const timers: NodeJS.Timeout[] = [];
      let unsubscribe: (() => void) | undefined;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        unsubscribe?.();
        for (const t of timers) clearTimeout(t);
        streams.delete(finish);
        if (!res.writableEnded) res.end();
      };
      streams.add(finish);
      // (not req's 'close': an IncomingMessage closes once the request has been read)
      res.on('close', finish);

      const onEvent = (e: StoreEvent) => {
        const now = selects(e.object);
        const before = e.previous ? selects(e.previous) : false;
        if (e.type === 'ADDED') {
          if (now) write('ADDED', e.object);
        } else if (e.type === 'MODIFIED') {
          if (now && before) write('MODIFIED', e.object);
          else if (now) write('ADDED', e.object);
          else if (before) write('DELETED', e.object);
        } else if (now || before) write('DELETED', e.object);
      };

      // Synthetic ADDED events: sendInitialEvents=true, or a legacy watch from "" / "0".
      const initial = sendInitialEvents || from === undefined || from === 0;
      try {
        if (initial) {
          const { items, resourceVersion } = store.list(resource.storeKind);
          for (const o of items) if (selects(o)) write('ADDED', o);
          if (sendInitialEvents) bookmark(resourceVersion, true);
          unsubscribe = store.watch(resource.storeKind, resourceVersion, onEvent);
        } else {
          unsubscribe = store.watch(resource.storeKind, from, onEvent);
        }
      } catch (e) {
        if (e instanceof ResourceVersionExpiredError) {
          write('ERROR', statusObject(410, 'Expired', e.message));
          finish();
          return;
        }
        throw e;
      }
      if (allowBookmarks) {
        const tick = () => {
          bookmark(store.resourceVersion);
          timers.push(setTimeout(tick, bookmarkIntervalMs).unref());
        };
        timers.push(setTimeout(tick, bookmarkIntervalMs).unref());
      }
      if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000).unref());
    } catch (e) {
      if (!res.headersSent) sendStatus(500, 'InternalError', `internal error: ${(e as Error).message}`);
      else res.destroy(e as Error);
    }
  };

  const server = createServer(handler);
  // Watches are long-lived requests; nothing here should cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${hostForUrl}:${addr.port}`;
  return {
    url,
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const f of [...streams]) f();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
