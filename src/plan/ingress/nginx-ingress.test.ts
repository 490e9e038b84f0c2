// renderNginxConf / planNginx for Ingresses, against the lab seeds and the ingress-nginx behaviours
// they rely on (internal/ingress/controller/controller.go createServers and getBackendServers,
// location.go updateServerLocations, template.go buildLocation).
import { describe, expect, it } from 'vitest';
import { planNginx, renderNginxConf } from './nginx-conf.js';
import { prefixCovers } from './nginx-gateway.js';
import { emptyInput, ingress, seed001, seed004, service, slice } from './testing/nginx-fixtures.js';
import { block, dispatch, upstream } from './testing/nginx-model.js';

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
    for (const d of [
      'pid /run/wirelab/ingress/nginx.pid;',
      'error_log /run/wirelab/ingress/error.log notice;',
      'access_log /run/wirelab/ingress/access.log upstreaminfo;',
      'client_body_temp_path /run/wirelab/ingress/client-body;',
      'proxy_temp_path /run/wirelab/ingress/proxy-temp;',
      'fastcgi_temp_path /run/wirelab/ingress/fastcgi-temp;',
      'uwsgi_temp_path /run/wirelab/ingress/uwsgi-temp;',
      'scgi_temp_path /run/wirelab/ingress/scgi-temp;',
    ]) {
      expect(conf).toContain(d);
    }
    expect(conf).toMatch(/log_format upstreaminfo '.*\$upstream_addr.*';/);
    expect(conf).not.toMatch(/^\s*daemon /m); // given with -g 'daemon off;'
  });

  it('sets the proxy headers ingress-nginx sets', () => {
    for (const h of [
      'Host $best_http_host',
      'X-Forwarded-For $remote_addr',
      'X-Forwarded-Proto $pass_access_scheme',
      'X-Real-IP $remote_addr',
      'X-Forwarded-Host $best_http_host',
      'X-Forwarded-Port $pass_port',
      'X-Request-ID $req_id',
    ]) {
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
    const catchAll = ingress({
      metadata: { name: 'catch-all' },
      spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } },
    });
    const web = ingress({
      metadata: { name: 'web' },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'web.local', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    const plan = planNginx(emptyInput({ ingresses: [catchAll, web], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'nobody.local', '/x')).toBe('upstream:default-fallback-80');
    // a known host without a matching path gets ingress-nginx's default backend: 404
    expect(dispatch(plan, 'web.local', '/other')).toBe('status:404');
    expect(dispatch(plan, 'web.local', '/app/1')).toBe('upstream:default-web-80');
  });

  it('uses an Ingress defaultBackend for the "/" of its own hosts', () => {
    const web = ingress({
      metadata: { name: 'web' },
      spec: {
        ingressClassName: 'nginx',
        defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
        rules: [{ host: 'web.local', http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    const plan = planNginx(emptyInput({ ingresses: [web], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'web.local', '/other')).toBe('upstream:default-fallback-80');
    expect(dispatch(plan, 'elsewhere.local', '/')).toBe('status:404');
  });

  it('renders only the Ingresses of its class (ingressClassName, then the annotation)', () => {
    const mk = (name: string, host: string, extra: Record<string, unknown>, annotations?: Record<string, string>) =>
      ingress({
        metadata: { name, annotations },
        spec: {
          ...extra,
          rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
        },
      });
    const ings = [
      mk('ours', 'ours.local', { ingressClassName: 'nginx' }),
      mk('theirs', 'theirs.local', { ingressClassName: 'traefik' }),
      mk('annotated', 'annotated.local', {}, { 'kubernetes.io/ingress.class': 'nginx' }),
      mk('classless', 'classless.local', {}),
    ];
    const plan = planNginx(emptyInput({ ingresses: ings, services: svcs, endpointSlices: slices }));
    expect(plan.servers.map((s) => s.hostname)).toEqual(['_', 'annotated.local', 'ours.local']);
    expect(plan.warnings.filter((w) => w.includes('ignored'))).toHaveLength(2);
    const withoutClass = planNginx(emptyInput({ ingresses: ings, services: svcs, endpointSlices: slices, watchIngressWithoutClass: true }));
    expect(withoutClass.servers.map((s) => s.hostname)).toEqual(['_', 'annotated.local', 'classless.local', 'ours.local']);
  });

  it('keeps the first Ingress for a host and path (creation order)', () => {
    const a = ingress({
      metadata: { name: 'a' },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'h.local', http: { paths: [{ path: '/x', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    const b = ingress({
      metadata: { name: 'b' },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'h.local',
            http: {
              paths: [
                { path: '/x', pathType: 'Prefix', backend: { service: { name: 'fallback', port: { number: 80 } } } },
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'fallback', port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    });
    const plan = planNginx(emptyInput({ ingresses: [a, b], services: svcs, endpointSlices: slices }));
    expect(dispatch(plan, 'h.local', '/x/1')).toBe('upstream:default-web-80');
    expect(dispatch(plan, 'h.local', '/y')).toBe('upstream:default-fallback-80'); // replaces the default "/"
    expect(plan.warnings.some((w) => w.includes('already configured'))).toBe(true);
  });

  it('renders a wildcard host as ingress-nginx does (one label)', () => {
    const w = ingress({
      metadata: { name: 'w' },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: '*.apps.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    expect(renderNginxConf(emptyInput({ ingresses: [w], services: svcs, endpointSlices: slices }))).toContain(
      'server_name "~^(?<subdomain>[\\\\w-]+)\\\\.apps\\\\.local$";',
    ); // Go's %q doubles backslashes too; nginx reads "\\" as "\"
  });
});

describe('named service ports', () => {
  it('resolves an Ingress port name to the service port and its targetPort on the endpoints', () => {
    const ing = ingress({
      metadata: { name: 'named' },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'named.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'multi', port: { name: 'http' } } } }] } }],
      },
    });
    const plan = planNginx(
      emptyInput({
        ingresses: [ing],
        services: [
          service('multi', [
            { name: 'http', port: 80, targetPort: 'web' },
            { name: 'metrics', port: 9090, targetPort: 9100 },
          ]),
        ],
        endpointSlices: [
          slice(
            'multi',
            ['10.244.1.40', '10.244.2.41'],
            [
              { name: 'http', port: 8080 },
              { name: 'metrics', port: 9100 },
            ],
          ),
        ],
      }),
    );
    expect(dispatch(plan, 'named.local', '/')).toBe('upstream:default-multi-http');
    expect(upstream(plan, 'default-multi-http').servers.map((s) => s.address)).toEqual(['10.244.1.40:8080', '10.244.2.41:8080']);
  });

  it('answers 503 for a port the service does not have', () => {
    const ing = ingress({
      metadata: { name: 'named' },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'named.local', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'multi', port: { name: 'grpc' } } } }] } }],
      },
    });
    const plan = planNginx(
      emptyInput({
        ingresses: [ing],
        services: [service('multi', [{ name: 'http', port: 80 }])],
        endpointSlices: [slice('multi', ['10.244.1.40'], [{ name: 'http', port: 80 }])],
      }),
    );
    expect(dispatch(plan, 'named.local', '/')).toBe('status:503');
    expect(plan.warnings[0]).toContain('has no port grpc');
  });
});
