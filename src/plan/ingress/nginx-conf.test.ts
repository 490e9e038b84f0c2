// renderNginxConf / planNginx against the lab seeds and the ingress-nginx behaviours they rely
// on (internal/ingress/controller/controller.go createServers and getBackendServers,
// location.go updateServerLocations, template.go buildLocation), and the Gateway API's
// HTTPRoute semantics (weights, header matches, match precedence).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intersectHostnames, planNginx, prefixCovers, renderNginxConf, type NginxPlan, type PlanLocation, type PlanServer, type PlanUpstream } from './nginx-conf.js';
import type { EndpointSlice, Service, ServicePort } from '../../model/types.js';
import { parseGateway, parseHTTPRoute, parseIngress } from '../../k8s/ingress.js';
import { makeService } from '../proxy/testing/fixtures.js';
import type { Gateway, HTTPRoute, Ingress } from '../../k8s/ingress-types.js';
import type { NginxConfInput } from './types.js';

function service(name: string, ports: Partial<ServicePort>[] = [{ port: 80 }], namespace = 'default', clusterIP = '10.96.0.50'): Service {
  return makeService(namespace, name, (s) => {
    s.clusterIP = clusterIP;
    s.selector = { app: name };
    s.ports = ports.map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? 80, targetPort: p.targetPort ?? p.port ?? 80 }));
  });
}

function slice(serviceName: string, ips: string[], ports: { name?: string; port: number }[] = [{ port: 80 }], namespace = 'default', notReady: string[] = []): EndpointSlice {
  return {
    name: `${serviceName}-abcde`,
    namespace,
    serviceName,
    ports: ports.map((p) => ({ name: p.name ?? '', protocol: 'TCP', port: p.port })),
    endpoints: [...ips, ...notReady].map((ip, i) => ({ ip, podName: `${serviceName}-${i}`, nodeName: 'worker', ready: !notReady.includes(ip), serving: true, terminating: false })),
  };
}

function ingress(m: unknown): Ingress {
  const r = parseIngress(m);
  if (!r.ingress) throw new Error(JSON.stringify(r.problems));
  return r.ingress;
}

function gateway(m: unknown): Gateway {
  const r = parseGateway(m);
  if (!r.gateway) throw new Error(JSON.stringify(r.problems));
  return r.gateway;
}

function httpRoute(m: unknown): HTTPRoute {
  const r = parseHTTPRoute(m);
  if (!r.httpRoute) throw new Error(JSON.stringify(r.problems));
  return r.httpRoute;
}

const emptyInput = (over: Partial<NginxConfInput> = {}): NginxConfInput => ({
  stateDir: '/run/wirelab/ingress',
  ingresses: [],
  gateways: [],
  httpRoutes: [],
  services: [],
  endpointSlices: [],
  certs: {},
  ingressClass: 'nginx',
  ...over,
});

const prefix = (path: string, svc: string, port = 80) => ({ path, pathType: 'Prefix', backend: { service: { name: svc, port: { number: port } } } });

/** Seed 001: host nginx.local -> nginx-service:80 -> 10.244.1.6:80, 10.244.1.7:80. */
const seed001 = (): NginxConfInput =>
  emptyInput({
    ingresses: [
      ingress({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'nginx-ingress' },
        spec: { ingressClassName: 'nginx', rules: [{ host: 'nginx.local', http: { paths: [prefix('/', 'nginx-service')] } }] },
      }),
    ],
    services: [service('nginx-service', [{ port: 80, targetPort: 80 }], 'default', '10.96.0.100')],
    endpointSlices: [slice('nginx-service', ['10.244.1.6', '10.244.1.7'])],
  });

const SEED004_MANIFEST = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'app-ingress', namespace: 'default' },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['app.example.com', 'admin.example.com'], secretName: 'tls-secret' }],
    rules: [
      { host: 'app.example.com', http: { paths: [prefix('/', 'web-service'), prefix('/api', 'api-service', 8080)] } },
      { host: 'admin.example.com', http: { paths: [prefix('/', 'admin-service')] } },
    ],
  },
};

/** Seed 004: app.example.com "/" -> web, "/api" -> api, admin.example.com "/" -> admin; TLS. */
const seed004 = (certs: { cert: string; key: string } = { cert: '/certs/tls.crt', key: '/certs/tls.key' }): NginxConfInput =>
  emptyInput({
    ingresses: [ingress(SEED004_MANIFEST)],
    services: [service('web-service', [{ port: 80, targetPort: 8080 }]), service('api-service', [{ port: 8080, targetPort: 3000 }]), service('admin-service', [{ port: 80, targetPort: 80 }])],
    endpointSlices: [slice('web-service', ['10.244.1.10', '10.244.2.10'], [{ port: 8080 }]), slice('api-service', ['10.244.1.11'], [{ port: 3000 }]), slice('admin-service', ['10.244.2.12'], [{ port: 80 }])],
    certs: { 'default/tls-secret': certs },
  });

// ---- a small model of how nginx picks a server, a location and an upstream server -----------

function serverFor(plan: NginxPlan, host: string, port = 80): PlanServer {
  const on = plan.servers.filter((s) => s.listens.some((l) => l.port === port));
  return on.find((s) => s.serverNames.includes(host)) ?? on.find((s) => s.serverNames.some((n) => n.startsWith('*.') && host.endsWith(n.slice(1)))) ?? on.find((s) => s.listens.some((l) => l.port === port && l.defaultServer))!;
}

/** nginx: an exact location wins; otherwise the longest matching prefix location. */
function locationFor(server: PlanServer, path: string): PlanLocation | undefined {
  const exact = server.locations.find((l) => l.exact && l.path === path);
  if (exact) return exact;
  return server.locations.filter((l) => !l.exact && path.startsWith(l.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

/** What a request gets: "upstream:<name>" or "status:<code>". */
function dispatch(plan: NginxPlan, host: string, path: string, headers: Record<string, string> = {}, port = 80): string {
  const loc = locationFor(serverFor(plan, host, port), path);
  if (!loc) return 'status:404';
  const c = loc.candidates.find((x) => x.headers.every((h) => headers[h.name.toLowerCase()] === h.value));
  if (!c) return 'status:404';
  return c.action.kind === 'proxy' ? `upstream:${c.action.upstream}` : `status:${c.action.status}`;
}

const upstream = (plan: NginxPlan, name: string): PlanUpstream => plan.upstreams.find((u) => u.name === name)!;

/** nginx's smooth weighted round robin (ngx_http_upstream_get_peer), one worker. */
function swrr(u: PlanUpstream, n: number): string[] {
  const peers = u.servers.map((s) => ({ address: s.address, weight: s.weight ?? 1, current: 0 }));
  const total = peers.reduce((a, p) => a + p.weight, 0);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let best = peers[0];
    for (const p of peers) {
      p.current += p.weight;
      if (p.current > best.current) best = p;
    }
    best.current -= total;
    out.push(best.address);
  }
  return out;
}

const block = (conf: string, start: string): string => {
  const i = conf.indexOf(start);
  expect(i, `${start} in the config`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let j = conf.indexOf('{', i); j < conf.length; j++) {
    if (conf[j] === '{') depth++;
    if (conf[j] === '}' && --depth === 0) return conf.slice(i, j + 1);
  }
  return conf.slice(i);
};

// ---- Ingress -----------------------------------------------------------------------------------

describe('Ingress host routing (seed 001)', () => {
  const input = seed001();
  const plan = planNginx(input);
  const conf = renderNginxConf(input);

  it('renders one server for nginx.local proxying to the pod endpoints, not the ClusterIP', () => {
    expect(dispatch(plan, 'nginx.local', '/')).toBe('upstream:default-nginx-service-80');
    expect(dispatch(plan, 'nginx.local', '/anything/below')).toBe('upstream:default-nginx-service-80');
    expect(upstream(plan, 'default-nginx-service-80').servers).toEqual([{ address: '10.244.1.6:80' }, { address: '10.244.1.7:80' }]);
    const server = block(conf, '## start server nginx.local');
    expect(server).toContain('server_name "nginx.local";');
    expect(server).toContain('listen 80;');
    expect(server).not.toContain('listen 443'); // no TLS entry and no default certificate
    expect(server).toContain('location "/" {');
    expect(server).toContain('proxy_pass http://default-nginx-service-80;');
    const ups = block(conf, 'upstream default-nginx-service-80');
    expect(ups).toContain('server 10.244.1.6:80 max_fails=0;');
    expect(ups).toContain('server 10.244.1.7:80 max_fails=0;');
    expect(conf).not.toContain('10.96.0.100');
    expect(plan.warnings).toEqual([]);
  });

  it('writes every file under the state directory and logs the upstream address', () => {
    for (const d of ['pid /run/wirelab/ingress/nginx.pid;', 'error_log /run/wirelab/ingress/error.log notice;', 'access_log /run/wirelab/ingress/access.log upstreaminfo;', 'client_body_temp_path /run/wirelab/ingress/client-body;', 'proxy_temp_path /run/wirelab/ingress/proxy-temp;', 'fastcgi_temp_path /run/wirelab/ingress/fastcgi-temp;', 'uwsgi_temp_path /run/wirelab/ingress/uwsgi-temp;', 'scgi_temp_path /run/wirelab/ingress/scgi-temp;']) {
      expect(conf).toContain(d);
    }
    expect(conf).toMatch(/log_format upstreaminfo '.*\$upstream_addr.*';/);
    expect(conf).not.toMatch(/^\s*daemon /m); // given with -g 'daemon off;'
  });

  it('sets the proxy headers ingress-nginx sets', () => {
    for (const h of ['Host $best_http_host', 'X-Forwarded-For $remote_addr', 'X-Forwarded-Proto $pass_access_scheme', 'X-Real-IP $remote_addr', 'X-Forwarded-Host $best_http_host', 'X-Forwarded-Port $pass_port', 'X-Request-ID $req_id']) {
      expect(conf).toContain(`proxy_set_header ${h};`);
    }
    expect(conf).toContain('map $http_host $best_http_host { default $http_host; }');
  });

  it('skips endpoints that are not ready', () => {
    const i = seed001();
    i.endpointSlices = [slice('nginx-service', ['10.244.1.6'], [{ port: 80 }], 'default', ['10.244.1.7'])];
    expect(upstream(planNginx(i), 'default-nginx-service-80').servers).toEqual([{ address: '10.244.1.6:80' }]);
  });

  it('answers 503 when the service has no ready endpoints (the Lua balancer has no peer)', () => {
    const i = seed001();
    i.endpointSlices = [slice('nginx-service', [])];
    const plan2 = planNginx(i);
    expect(dispatch(plan2, 'nginx.local', '/')).toBe('status:503');
    expect(plan2.warnings[0]).toContain('no ready endpoints');
  });
});

describe('Ingress path routing with TLS (seed 004)', () => {
  const input = seed004();
  const plan = planNginx(input);
  const conf = renderNginxConf(input);

  it('routes by host and path', () => {
    expect(dispatch(plan, 'app.example.com', '/')).toBe('upstream:default-web-service-80');
    expect(dispatch(plan, 'app.example.com', '/index.html')).toBe('upstream:default-web-service-80');
    expect(dispatch(plan, 'app.example.com', '/api')).toBe('upstream:default-api-service-8080');
    expect(dispatch(plan, 'app.example.com', '/api/users')).toBe('upstream:default-api-service-8080');
    expect(dispatch(plan, 'app.example.com', '/apix')).toBe('upstream:default-web-service-80');
    expect(dispatch(plan, 'admin.example.com', '/api')).toBe('upstream:default-admin-service-80');
    expect(upstream(plan, 'default-web-service-80').servers.map((s) => s.address)).toEqual(['10.244.1.10:8080', '10.244.2.10:8080']);
    expect(upstream(plan, 'default-api-service-8080').servers.map((s) => s.address)).toEqual(['10.244.1.11:3000']);
  });

  it('renders Prefix /api as location "/api/" plus location = "/api", longest first', () => {
    const app = plan.servers.find((s) => s.hostname === 'app.example.com')!;
    expect(app.locations.map((l) => `${l.exact ? '= ' : ''}${l.path}`)).toEqual(['/api/', '= /api', '/']);
    const server = block(conf, '## start server app.example.com');
    expect(server.indexOf('location "/api/"')).toBeLessThan(server.indexOf('location = "/api"'));
    expect(server.indexOf('location = "/api"')).toBeLessThan(server.indexOf('location "/" {'));
  });

  it('serves both hosts on 443 with the tls-secret certificate (SNI) and redirects http with 308', () => {
    for (const host of ['app.example.com', 'admin.example.com']) {
      const server = block(conf, `## start server ${host}`);
      expect(server).toContain('listen 80;');
      expect(server).toContain('listen 443 ssl;');
      expect(server).toContain('ssl_certificate /certs/tls.crt;');
      expect(server).toContain('ssl_certificate_key /certs/tls.key;');
      expect(server).toContain('if ($scheme = "http") { return 308 https://$host$redirect_uri_no_slash; }');
    }
    expect(renderNginxConf({ ...input, sslRedirect: false })).not.toContain('return 308');
  });

  it('keeps a default server for unknown hosts that answers 404 and refuses TLS without a default certificate', () => {
    expect(dispatch(plan, 'unknown.example.com', '/')).toBe('status:404');
    const def = block(conf, '## start server _');
    expect(def).toContain('listen 80 default_server;');
    expect(def).toContain('listen 443 default_server ssl;');
    expect(def).toContain('ssl_reject_handshake on;');
    expect(def).toContain('return 404;');
    // ingress-nginx sorts servers by hostname: "_" after "admin..." and "app..." is not the case
    // ("_" is 0x5f, lowercase letters come after it).
    expect(plan.servers.map((s) => s.hostname)).toEqual(['_', 'admin.example.com', 'app.example.com']);
  });

  it('uses the default certificate on 443 for hosts without TLS when one is given', () => {
    const i = seed001();
    i.defaultCertificate = { cert: '/certs/default.crt', key: '/certs/default.key' };
    const c = renderNginxConf(i);
    expect(c).toContain('    ssl_certificate /certs/default.crt;');
    expect(block(c, '## start server nginx.local')).toContain('listen 443 ssl;');
    expect(block(c, '## start server nginx.local')).not.toContain('return 308'); // the default certificate is not the host's
    expect(block(c, '## start server _')).not.toContain('ssl_reject_handshake');
  });
});

describe('Exact and Prefix paths', () => {
  const ing = ingress({
    metadata: { name: 'paths' },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'p.example.com',
          http: {
            paths: [
              { path: '/foo', pathType: 'Prefix', backend: { service: { name: 'prefix', port: { number: 80 } } } },
              { path: '/foo', pathType: 'Exact', backend: { service: { name: 'exact', port: { number: 80 } } } },
              { path: '/foo/bar', pathType: 'Prefix', backend: { service: { name: 'deeper', port: { number: 80 } } } },
              { path: '/docs', pathType: 'ImplementationSpecific', backend: { service: { name: 'docs', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });
  const input = emptyInput({
    ingresses: [ing],
    services: ['prefix', 'exact', 'deeper', 'docs'].map((n) => service(n)),
    endpointSlices: ['prefix', 'exact', 'deeper', 'docs'].map((n, i) => slice(n, [`10.244.1.${20 + i}`])),
  });
  const plan = planNginx(input);

  it('gives an Exact path its own `location =` and keeps it over the Prefix one', () => {
    expect(dispatch(plan, 'p.example.com', '/foo')).toBe('upstream:default-exact-80');
    expect(dispatch(plan, 'p.example.com', '/foo/')).toBe('upstream:default-prefix-80');
    expect(dispatch(plan, 'p.example.com', '/foo/x')).toBe('upstream:default-prefix-80');
    expect(dispatch(plan, 'p.example.com', '/foox')).toBe('status:404');
    expect(dispatch(plan, 'p.example.com', '/foo/bar')).toBe('upstream:default-deeper-80');
    expect(dispatch(plan, 'p.example.com', '/foo/bar/baz')).toBe('upstream:default-deeper-80');
    expect(dispatch(plan, 'p.example.com', '/foo/barn')).toBe('upstream:default-prefix-80');
  });

  it('orders locations longest first, as getBackendServers sorts them', () => {
    const s = plan.servers.find((x) => x.hostname === 'p.example.com')!;
    // by path descending, then (stable) by length descending: "/foo/" before "/docs" (both 5)
    expect(s.locations.map((l) => `${l.exact ? '= ' : ''}${l.path}`)).toEqual(['/foo/bar/', '= /foo/bar', '/docs/', '/foo/', '= /docs', '= /foo', '/']);
    // no second `location = "/foo"` for the Prefix path: the Exact one exists
    const conf = renderNginxConf(input);
    expect(conf.match(/location = "\/foo" \{/g)).toHaveLength(1);
  });

  it('treats ImplementationSpecific as Prefix (SetDefaultNGINXPathType)', () => {
    expect(dispatch(plan, 'p.example.com', '/docs')).toBe('upstream:default-docs-80');
    expect(dispatch(plan, 'p.example.com', '/docs/a')).toBe('upstream:default-docs-80');
  });

  it('matches element-wise prefixes', () => {
    expect(prefixCovers('/foo', '/foo')).toBe(true);
    expect(prefixCovers('/foo', '/foo/bar')).toBe(true);
    expect(prefixCovers('/foo/', '/foo')).toBe(true);
    expect(prefixCovers('/foo', '/foobar')).toBe(false);
    expect(prefixCovers('/', '/anything')).toBe(true);
  });
});

describe('default backend and ingress classes', () => {
  const svcs = [service('fallback'), service('web')];
  const slices = [slice('fallback', ['10.244.1.30']), slice('web', ['10.244.1.31'])];

  it('sends unknown hosts to the defaultBackend of an Ingress without rules', () => {
    const catchAll = ingress({ metadata: { name: 'catch-all' }, spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } } });
    const web = ingress({ metadata: { name: 'web' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'web.local', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    const plan = planNginx(emptyInput({ ingresses: [catchAll, web], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'nobody.local', '/x')).toBe('upstream:default-fallback-80');
    // a known host without a matching path gets ingress-nginx's default backend: 404
    expect(dispatch(plan, 'web.local', '/other')).toBe('status:404');
    expect(dispatch(plan, 'web.local', '/app/1')).toBe('upstream:default-web-80');
  });

  it('uses an Ingress defaultBackend for the "/" of its own hosts', () => {
    const web = ingress({ metadata: { name: 'web' }, spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'fallback', port: { number: 80 } } }, rules: [{ host: 'web.local', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    const plan = planNginx(emptyInput({ ingresses: [web], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'web.local', '/other')).toBe('upstream:default-fallback-80');
    expect(dispatch(plan, 'elsewhere.local', '/')).toBe('status:404');
  });

  it('renders only the Ingresses of its class (ingressClassName, then the annotation)', () => {
    const mk = (name: string, host: string, extra: Record<string, unknown>, annotations?: Record<string, string>) =>
      ingress({ metadata: { name, annotations }, spec: { ...extra, rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    const ings = [mk('ours', 'ours.local', { ingressClassName: 'nginx' }), mk('theirs', 'theirs.local', { ingressClassName: 'traefik' }), mk('annotated', 'annotated.local', {}, { 'kubernetes.io/ingress.class': 'nginx' }), mk('classless', 'classless.local', {})];
    const plan = planNginx(emptyInput({ ingresses: ings, services: svcs, endpointSlices: slices }));
    expect(plan.servers.map((s) => s.hostname)).toEqual(['_', 'annotated.local', 'ours.local']);
    expect(plan.warnings.filter((w) => w.includes('ignored'))).toHaveLength(2);
    const withoutClass = planNginx(emptyInput({ ingresses: ings, services: svcs, endpointSlices: slices, watchIngressWithoutClass: true }));
    expect(withoutClass.servers.map((s) => s.hostname)).toEqual(['_', 'annotated.local', 'classless.local', 'ours.local']);
  });

  it('keeps the first Ingress for a host and path (creation order)', () => {
    const a = ingress({ metadata: { name: 'a' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'h.local', http: { paths: [{ path: '/x', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    const b = ingress({ metadata: { name: 'b' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'h.local', http: { paths: [{ path: '/x', pathType: 'Prefix', backend: { service: { name: 'fallback', port: { number: 80 } } } }, { path: '/', pathType: 'Prefix', backend: { service: { name: 'fallback', port: { number: 80 } } } }] } }] } });
    const plan = planNginx(emptyInput({ ingresses: [a, b], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'h.local', '/x/1')).toBe('upstream:default-web-80');
    expect(dispatch(plan, 'h.local', '/y')).toBe('upstream:default-fallback-80'); // replaces the default "/"
    expect(plan.warnings.some((w) => w.includes('already configured'))).toBe(true);
  });

  it('renders a wildcard host as ingress-nginx does (one label)', () => {
    const w = ingress({ metadata: { name: 'w' }, spec: { ingressClassName: 'nginx', rules: [{ host: '*.apps.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
    expect(renderNginxConf(emptyInput({ ingresses: [w], services: svcs, endpointSlices: slices }))).toContain('server_name "~^(?<subdomain>[\\\\w-]+)\\\\.apps\\\\.local$";'); // Go's %q doubles backslashes too; nginx reads "\\" as "\"
  });
});

describe('named service ports', () => {
  it('resolves an Ingress port name to the service port and its targetPort on the endpoints', () => {
    const ing = ingress({ metadata: { name: 'named' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'named.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'multi', port: { name: 'http' } } } }] } }] } });
    const plan = planNginx(
      emptyInput({
        ingresses: [ing],
        services: [service('multi', [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090, targetPort: 9100 }])],
        endpointSlices: [slice('multi', ['10.244.1.40', '10.244.2.41'], [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }])],
      }),
    );
    expect(dispatch(plan, 'named.local', '/')).toBe('upstream:default-multi-http');
    expect(upstream(plan, 'default-multi-http').servers.map((s) => s.address)).toEqual(['10.244.1.40:8080', '10.244.2.41:8080']);
  });

  it('answers 503 for a port the service does not have', () => {
    const ing = ingress({ metadata: { name: 'named' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'named.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'multi', port: { name: 'grpc' } } } }] } }] } });
    const plan = planNginx(emptyInput({ ingresses: [ing], services: [service('multi', [{ name: 'http', port: 80 }])], endpointSlices: [slice('multi', ['10.244.1.40'], [{ name: 'http', port: 80 }])] }));
    expect(dispatch(plan, 'named.local', '/')).toBe('status:503');
    expect(plan.warnings[0]).toContain('has no port grpc');
  });
});

// ---- Gateway API ---------------------------------------------------------------------------------

const GW = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { gatewayClassName: 'nginx', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] } };
const route = (spec: Record<string, unknown>, name = 'r') => httpRoute({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name }, spec: { parentRefs: [{ name: 'gw' }], ...spec } });
const gwServices = [service('v1'), service('v2'), service('canary')];
const gwSlices = [slice('v1', ['10.244.1.50']), slice('v2', ['10.244.2.50']), slice('canary', ['10.244.2.60'])];

describe('HTTPRoute weights', () => {
  it('splits 90/10 in ONE upstream with weight=90 and weight=10', () => {
    const r = route({ hostnames: ['shop.local'], rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 90 }, { name: 'v2', port: 80, weight: 10 }] }] });
    const input = emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices });
    const plan = planNginx(input);
    expect(dispatch(plan, 'shop.local', '/')).toBe('upstream:httproute-default-r-rule-0');
    const u = upstream(plan, 'httproute-default-r-rule-0');
    expect(u.servers).toEqual([{ address: '10.244.1.50:80', weight: 90 }, { address: '10.244.2.50:80', weight: 10 }]);
    const conf = renderNginxConf(input);
    expect(block(conf, 'upstream httproute-default-r-rule-0')).toContain('server 10.244.1.50:80 weight=90 max_fails=0;');
    expect(block(conf, 'upstream httproute-default-r-rule-0')).toContain('server 10.244.2.50:80 weight=10 max_fails=0;');
    // smooth WRR: exactly 10 of 100 requests to v2, never two in a row, the same every time
    const seq = swrr(u, 100);
    expect(seq.filter((a) => a === '10.244.2.50:80')).toHaveLength(10);
    expect(seq.slice(0, 10)).toEqual(['10.244.1.50:80', '10.244.1.50:80', '10.244.1.50:80', '10.244.1.50:80', '10.244.1.50:80', '10.244.2.50:80', '10.244.1.50:80', '10.244.1.50:80', '10.244.1.50:80', '10.244.1.50:80']);
  });

  it('scales weights by the lcm of the endpoint counts so that each backend keeps its share', () => {
    const r = route({ hostnames: ['shop.local'], rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 90 }, { name: 'v2', port: 80, weight: 10 }] }] });
    const slices3 = [slice('v1', ['10.244.1.50', '10.244.1.51']), slice('v2', ['10.244.2.50', '10.244.2.51', '10.244.2.52'])];
    const plan = planNginx(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: slices3 }));
    const u = upstream(plan, 'httproute-default-r-rule-0');
    // L = lcm(2, 3) = 6: v1 endpoints 90*6/2 = 270 each, v2 endpoints 10*6/3 = 20 each
    expect(u.servers.map((s) => s.weight)).toEqual([270, 270, 20, 20, 20]);
    const totals = { v1: 0, v2: 0 };
    for (const a of swrr(u, 600)) totals[a.startsWith('10.244.1.') ? 'v1' : 'v2']++;
    expect(totals).toEqual({ v1: 540, v2: 60 });
  });

  it('uses the plain service upstream for a single backend and ignores weight 0', () => {
    const r = route({ rules: [{ backendRefs: [{ name: 'v1', port: 80 }, { name: 'v2', port: 80, weight: 0 }] }] });
    const plan = planNginx(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices }));
    expect(dispatch(plan, 'any.host', '/')).toBe('upstream:default-v1-80');
  });

  it('keeps the share of an invalid backend as 500 and of an empty one as 503', () => {
    const r = route({ hostnames: ['shop.local'], rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 2 }, { name: 'missing', port: 80, weight: 1 }, { name: 'v2', port: 80, weight: 1 }] }] });
    const plan = planNginx(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: [slice('v1', ['10.244.1.50']), slice('v2', [])] }));
    expect(upstream(plan, 'httproute-default-r-rule-0').servers).toEqual([
      { address: '10.244.1.50:80', weight: 2 },
      { address: 'unix:/run/wirelab/ingress/http-500.sock', weight: 1 },
      { address: 'unix:/run/wirelab/ingress/http-503.sock', weight: 1 },
    ]);
    expect(plan.statusSockets).toEqual([{ status: 500, path: '/run/wirelab/ingress/http-500.sock' }, { status: 503, path: '/run/wirelab/ingress/http-503.sock' }]);
    const none = planNginx(emptyInput({ gateways: [gateway(GW)], httpRoutes: [route({ rules: [{ backendRefs: [] }] })], services: gwServices, endpointSlices: gwSlices }));
    expect(dispatch(none, 'x', '/')).toBe('status:500');
  });
});

describe('HTTPRoute matches', () => {
  const canary = route({
    hostnames: ['shop.local'],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'X-Canary', value: 'true' }] }], backendRefs: [{ name: 'canary', port: 80 }] },
      { backendRefs: [{ name: 'v1', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'X-Env', value: 'qa' }, { name: 'X-Team', value: 'a' }] }], backendRefs: [{ name: 'v2', port: 80 }] },
      { matches: [{ path: { type: 'Exact', value: '/health' } }], backendRefs: [{ name: 'v2', port: 80 }] },
    ],
  });
  const input = emptyInput({ gateways: [gateway(GW)], httpRoutes: [canary], services: gwServices, endpointSlices: gwSlices });
  const plan = planNginx(input);
  const conf = renderNginxConf(input);

  it('routes on an Exact header match and falls back to the rule without headers', () => {
    expect(dispatch(plan, 'shop.local', '/', { 'x-canary': 'true' })).toBe('upstream:default-canary-80');
    expect(dispatch(plan, 'shop.local', '/', { 'x-canary': 'false' })).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'shop.local', '/')).toBe('upstream:default-v1-80');
    const loc = block(block(conf, '## start server shop.local'), 'location "/" {');
    expect(loc).toContain('if ($http_x_canary = "true") { set $wl_target "default-canary-80"; }');
    expect(loc).toContain('proxy_pass http://$wl_target;');
    // the fallback is set before the header test, so the header match overrides it
    expect(loc.indexOf('set $wl_target "default-v1-80";')).toBeLessThan(loc.indexOf('if ($http_x_canary'));
  });

  it('ANDs several headers and orders matches by path length before header count', () => {
    expect(dispatch(plan, 'shop.local', '/api/x', { 'x-env': 'qa', 'x-team': 'a' })).toBe('upstream:default-v2-80');
    // /api needs both headers; without them the "/" rules still apply (longest path first, then fall back)
    expect(dispatch(plan, 'shop.local', '/api/x', { 'x-env': 'qa' })).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'shop.local', '/api/x', { 'x-env': 'qa', 'x-canary': 'true' })).toBe('upstream:default-canary-80');
    expect(dispatch(plan, 'shop.local', '/apix', { 'x-env': 'qa', 'x-team': 'a' })).toBe('upstream:default-v1-80');
    const loc = block(block(conf, '## start server shop.local'), 'location "/api/" {');
    expect(loc).toContain('if ($http_x_env = "qa") { set $wl_hits "${wl_hits}x"; }');
    expect(loc).toContain('if ($wl_hits = "xx") { set $wl_target "default-v2-80"; }');
  });

  it('prefers Exact paths', () => {
    expect(dispatch(plan, 'shop.local', '/health', { 'x-canary': 'true' })).toBe('upstream:default-v2-80');
    expect(dispatch(plan, 'shop.local', '/health/x')).toBe('upstream:default-v1-80');
  });

  it('answers 404 for hosts the route does not name', () => {
    expect(dispatch(plan, 'other.local', '/')).toBe('status:404');
  });

  it('escapes "$" and quotes in header values', () => {
    const r = route({ rules: [{ matches: [{ headers: [{ name: 'X-Token', value: 'a$b"c' }] }], backendRefs: [{ name: 'v1', port: 80 }] }] });
    expect(renderNginxConf(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices }))).toContain('if ($http_x_token = "a${literal_dollar}b\\"c")');
  });
});

describe('HTTPRoute attachment', () => {
  it('intersects listener and route hostnames', () => {
    expect(intersectHostnames(undefined, [])).toEqual(['']);
    expect(intersectHostnames(undefined, ['a.com'])).toEqual(['a.com']);
    expect(intersectHostnames('*.example.com', [])).toEqual(['*.example.com']);
    expect(intersectHostnames('*.example.com', ['foo.example.com', 'foo.other.com'])).toEqual(['foo.example.com']);
    expect(intersectHostnames('foo.example.com', ['*.example.com'])).toEqual(['foo.example.com']);
    expect(intersectHostnames('*.example.com', ['*.a.example.com'])).toEqual(['*.a.example.com']);
    expect(intersectHostnames('foo.example.com', ['bar.example.com'])).toEqual([]);
  });

  it('attaches by sectionName to an HTTPS listener with its certificate, and honours allowedRoutes', () => {
    const gw = gateway({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'infra' },
      spec: {
        gatewayClassName: 'nginx',
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 80, hostname: '*.shop.local' },
          { name: 'https', protocol: 'HTTPS', port: 443, hostname: '*.shop.local', tls: { certificateRefs: [{ name: 'shop-tls' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    });
    const r = httpRoute({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'default' }, spec: { parentRefs: [{ name: 'gw', namespace: 'infra', sectionName: 'https' }], hostnames: ['www.shop.local'], rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] } });
    const input = emptyInput({ gateways: [gw], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices, certs: { 'infra/shop-tls': { cert: '/c/shop.crt', key: '/c/shop.key' } } });
    const plan = planNginx(input);
    expect(dispatch(plan, 'www.shop.local', '/', {}, 443)).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'www.shop.local', '/', {}, 80)).toBe('status:404');
    const server = block(renderNginxConf(input), '## start server www.shop.local');
    expect(server).toContain('listen 443 ssl;');
    expect(server).toContain('ssl_certificate /c/shop.crt;');
    // the http listener only admits routes from its own namespace (allowedRoutes default Same)
    const r2 = httpRoute({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r2', namespace: 'default' }, spec: { parentRefs: [{ name: 'gw', namespace: 'infra', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] } });
    const p2 = planNginx({ ...input, httpRoutes: [r2] });
    expect(p2.warnings.some((w) => w.includes('not attached'))).toBe(true);
  });

  it('makes a catch-all listener the default server of its port and adds a 404 default for other ports', () => {
    const gw = gateway({ ...GW, spec: { gatewayClassName: 'nginx', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }, { name: 'alt', protocol: 'HTTP', port: 8080, hostname: 'alt.local' }] } });
    const r = route({ rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] });
    const plan = planNginx(emptyInput({ gateways: [gw], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices }));
    expect(dispatch(plan, 'whatever', '/')).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'alt.local', '/', {}, 8080)).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'nope.local', '/', {}, 8080)).toBe('status:404');
    const defaults = plan.servers.flatMap((s) => s.listens.filter((l) => l.defaultServer).map((l) => `${l.port}:${s.origin}`));
    expect(defaults.sort()).toEqual(['443:ingress', '8080:gateway', '80:gateway']);
  });

  it('only renders Gateways of our controller when classes are given', () => {
    const plan = planNginx(
      emptyInput({ gateways: [gateway(GW)], httpRoutes: [route({ rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] })], services: gwServices, endpointSlices: gwSlices, gatewayClasses: [{ name: 'nginx', controllerName: 'example.com/other' }], controllerName: 'gateway.nginx.org/nginx-gateway-controller' }),
    );
    expect(plan.servers.every((s) => s.origin === 'ingress')).toBe(true);
  });
});

// ---- nginx -t ----------------------------------------------------------------------------------------

const hasNginx = spawnSync('nginx', ['-v']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasNginx || !hasOpenssl)('nginx -t', () => {
  it('accepts the rendered configuration for seed 004 and for a Gateway with weights and headers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-ingress-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=app.example.com', '-addext', 'subjectAltName=DNS:app.example.com,DNS:admin.example.com', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1'], { stdio: 'pipe' });
      const certs = { cert: join(dir, 'c'), key: join(dir, 'k') };
      const check = (input: NginxConfInput, name: string) => {
        const file = join(dir, name);
        writeFileSync(file, renderNginxConf(input));
        const r = spawnSync('nginx', ['-t', '-c', file, '-e', join(dir, 'startup-error.log')], { encoding: 'utf8' });
        expect(`${r.stdout}${r.stderr}`, `nginx -t ${name}`).toContain('syntax is ok');
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      };
      check({ ...seed004(certs), stateDir: dir }, 'seed004.conf');
      const r = route({
        hostnames: ['shop.local'],
        rules: [
          { matches: [{ headers: [{ name: 'X-Canary', value: 'true' }, { name: 'X-Env', value: 'a$b' }] }], backendRefs: [{ name: 'canary', port: 80 }] },
          { backendRefs: [{ name: 'v1', port: 80, weight: 90 }, { name: 'v2', port: 80, weight: 10 }, { name: 'missing', port: 80, weight: 1 }] },
        ],
      });
      const gw = gateway({ ...GW, spec: { gatewayClassName: 'nginx', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }, { name: 'tls', protocol: 'HTTPS', port: 8443, tls: { certificateRefs: [{ name: 'tls-secret' }] } }] } });
      check({ ...seed004(certs), stateDir: dir, gateways: [gw], httpRoutes: [r], services: [...seed004().services, ...gwServices], endpointSlices: [...seed004().endpointSlices, ...gwSlices], defaultCertificate: certs }, 'gateway.conf');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
