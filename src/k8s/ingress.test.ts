// Ingress and Gateway API manifests are checked as the API server checks them
// (kubernetes/kubernetes pkg/apis/networking/validation ValidateIngressSpec and friends; the
// gateway-api CRDs' OpenAPI and CEL rules) and defaulted as it defaults them.
import { describe, expect, it } from 'vitest';
import { parseGateway, parseGatewayClass, parseHTTPRoute } from './gateway.js';
import { parseIngress, parseIngressApiManifest } from './ingress.js';

const ING = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'app-ingress' } };
const backend = (name = 'web-service', port: Record<string, unknown> = { number: 80 }) => ({ service: { name, port } });
const ing = (spec: unknown, extra: Record<string, unknown> = {}) => parseIngress({ ...ING, ...extra, spec });
const rule = (paths: unknown[], host = 'app.example.com') => ({ host, http: { paths } });
const msgs = (r: { problems: { path: (string | number)[]; message: string }[] }) => r.problems.map((p) => [p.path.join('.'), p.message]);

describe('parseIngress', () => {
  it('parses the seed 004 Ingress with its defaults', () => {
    const r = ing({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['app.example.com', 'admin.example.com'], secretName: 'tls-secret' }],
      rules: [
        rule([
          { path: '/', pathType: 'Prefix', backend: backend() },
          { path: '/api', pathType: 'Prefix', backend: backend('api-service', { number: 8080 }) },
        ]),
        rule([{ path: '/', pathType: 'Prefix', backend: backend('admin-service') }], 'admin.example.com'),
      ],
    });
    expect(r.problems).toEqual([]);
    expect(r.ingress).toMatchObject({
      name: 'app-ingress',
      namespace: 'default',
      ingressClassName: 'nginx',
      tls: [{ hosts: ['app.example.com', 'admin.example.com'], secretName: 'tls-secret' }],
    });
    expect(r.ingress!.rules[0].http!.paths[1]).toEqual({
      path: '/api',
      pathType: 'Prefix',
      backend: { service: { name: 'api-service', port: { number: 8080 } } },
    });
  });

  it('requires pathType', () => {
    const r = ing({ rules: [rule([{ path: '/', backend: backend() }])] });
    expect(r.ingress).toBeUndefined();
    expect(r.problems[0]).toMatchObject({ path: ['spec', 'rules', 0, 'http', 'paths', 0, 'pathType'], message: 'pathType must be specified' });
    expect(r.problems[0].fix).toContain('Prefix');
    expect(msgs(ing({ rules: [rule([{ path: '/', pathType: 'Regex', backend: backend() }])] }))[0][1]).toBe(
      'Unsupported value: "Regex": supported values: "Exact", "Prefix", "ImplementationSpecific"',
    );
  });

  it('checks Exact and Prefix paths as the API does', () => {
    const p = (path: string, pathType = 'Prefix') => msgs(ing({ rules: [rule([{ path, pathType, backend: backend() }])] })).map((x) => x[1]);
    expect(p('api')).toEqual(['must be an absolute path']);
    expect(p('/a//b')).toEqual(["must not contain '//'"]);
    expect(p('/a/../b', 'Exact')).toEqual(["must not contain '/../'"]);
    expect(p('/a/.')).toEqual(["cannot end with '/.'"]);
    expect(p('/a%2Fb')).toEqual(["must not contain '%2F'"]);
    // ImplementationSpecific may be empty (ingress-nginx then uses "/") but not relative
    expect(p('', 'ImplementationSpecific')).toEqual([]);
    expect(p('api', 'ImplementationSpecific')).toEqual(['must be an absolute path']);
  });

  it('refuses an IP address or a bad wildcard as a host', () => {
    expect(msgs(ing({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: backend() }], '10.0.0.1')] }))[0]).toEqual([
      'spec.rules.0.host',
      'must be a DNS name, not an IP address',
    ]);
    expect(msgs(ing({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: backend() }], 'foo.*.com')] }))[0][1]).toContain('wildcard');
    expect(ing({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: backend() }], '*.example.com')] }).problems).toEqual([]);
    expect(msgs(ing({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: backend() }], 'App.Example.com')] }))[0][1]).toContain('RFC 1123');
  });

  it('checks the service backend', () => {
    const b = (x: unknown) => msgs(ing({ rules: [rule([{ path: '/', pathType: 'Prefix', backend: x }])] }));
    expect(b(backend('web', { number: 80, name: 'http' }))).toEqual([['spec.rules.0.http.paths.0.backend', 'cannot set both port name & port number']]);
    expect(b(backend('web', {}))).toEqual([['spec.rules.0.http.paths.0.backend', 'port name or number is required']]);
    expect(b(backend('web', { number: 70000 }))).toEqual([['spec.rules.0.http.paths.0.backend.service.port.number', 'must be between 1 and 65535, inclusive']]);
    expect(b(backend('web', { name: 'HTTP' }))[0][1]).toBe('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
    expect(b(backend('1web'))[0][1]).toContain('DNS-1035');
    expect(b({})).toEqual([['spec.rules.0.http.paths.0.backend', 'resource or service backend is required']]);
    expect(b({ ...backend(), resource: { kind: 'StorageBucket', name: 'b' } })[0][1]).toBe('cannot set both resource and service backends');
  });

  it('needs rules or a defaultBackend, and paths in an http rule', () => {
    expect(msgs(ing({}))).toEqual([['spec', 'either `defaultBackend` or `rules` must be specified']]);
    expect(ing({ defaultBackend: backend() }).problems).toEqual([]);
    expect(msgs(ing({ rules: [{ host: 'a.com', http: { paths: [] } }] }))).toEqual([['spec.rules.0.http.paths', 'Required value']]);
    // a rule may name only a host
    expect(ing({ rules: [{ host: 'a.com' }] }).ingress!.rules).toEqual([{ host: 'a.com' }]);
  });

  it('refuses unknown fields and a class annotation that contradicts ingressClassName', () => {
    expect(msgs(ing({ rules: [{ host: 'a.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend(), pathtype: 'x' }] } }] }))).toEqual([
      ['spec.rules.0.http.paths.0.pathtype', 'unknown field "pathtype"'],
    ]);
    const r = ing(
      { ingressClassName: 'nginx', defaultBackend: backend() },
      { metadata: { name: 'x', annotations: { 'kubernetes.io/ingress.class': 'traefik' } } },
    );
    expect(msgs(r)).toEqual([['metadata.annotations.kubernetes.io/ingress.class', 'must match `ingressClassName` when both are specified']]);
  });

  it('checks TLS hosts and secret names', () => {
    expect(msgs(ing({ defaultBackend: backend(), tls: [{ hosts: ['*.ok.com', 'Bad_Host'], secretName: 'Tls' }] })).map((x) => x[0])).toEqual([
      'spec.tls.0.hosts.1',
      'spec.tls.0.secretName',
    ]);
  });
});

const GWV = 'gateway.networking.k8s.io/v1';

describe('parseGatewayClass', () => {
  it('requires a domain-prefixed controllerName', () => {
    expect(
      parseGatewayClass({
        apiVersion: GWV,
        kind: 'GatewayClass',
        metadata: { name: 'nginx' },
        spec: { controllerName: 'gateway.nginx.org/nginx-gateway-controller' },
      }).gatewayClass,
    ).toEqual({ name: 'nginx', controllerName: 'gateway.nginx.org/nginx-gateway-controller' });
    expect(msgs(parseGatewayClass({ apiVersion: GWV, kind: 'GatewayClass', metadata: { name: 'nginx' }, spec: { controllerName: 'nginx' } }))[0][0]).toBe(
      'spec.controllerName',
    );
    expect(msgs(parseGatewayClass({ apiVersion: GWV, kind: 'GatewayClass', metadata: { name: 'nginx' }, spec: {} }))).toEqual([
      ['spec.controllerName', 'Required value'],
    ]);
  });
});

describe('parseGateway', () => {
  const gw = (listeners: unknown[]) =>
    parseGateway({ apiVersion: GWV, kind: 'Gateway', metadata: { name: 'gw', namespace: 'infra' }, spec: { gatewayClassName: 'nginx', listeners } });

  it('parses listeners with their defaults', () => {
    const r = gw([
      { name: 'http', protocol: 'HTTP', port: 80 },
      {
        name: 'https',
        protocol: 'HTTPS',
        port: 443,
        hostname: '*.example.com',
        tls: { certificateRefs: [{ name: 'tls' }] },
        allowedRoutes: { namespaces: { from: 'All' } },
      },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.gateway).toEqual({
      name: 'gw',
      namespace: 'infra',
      gatewayClassName: 'nginx',
      listeners: [
        { name: 'http', protocol: 'HTTP', port: 80, hostname: undefined, tls: undefined, allowedRoutesFrom: 'Same' },
        {
          name: 'https',
          protocol: 'HTTPS',
          port: 443,
          hostname: '*.example.com',
          tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'tls', namespace: undefined }] },
          allowedRoutesFrom: 'All',
        },
      ],
    });
  });

  it('applies the CRD validation rules', () => {
    expect(msgs(gw([]))).toEqual([['spec.listeners', 'should have at least 1 items']]);
    expect(
      msgs(
        gw([
          { name: 'a', protocol: 'HTTP', port: 80 },
          { name: 'a', protocol: 'HTTP', port: 81 },
        ]),
      )[0][1],
    ).toContain('Listener name must be unique');
    expect(
      msgs(
        gw([
          { name: 'a', protocol: 'HTTP', port: 80 },
          { name: 'b', protocol: 'HTTP', port: 80 },
        ]),
      )[0][1],
    ).toContain('Combination of port, protocol and hostname must be unique');
    expect(msgs(gw([{ name: 'a', protocol: 'HTTP', port: 80, tls: { certificateRefs: [{ name: 't' }] } }]))[0][1]).toBe(
      "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
    );
    expect(msgs(gw([{ name: 'a', protocol: 'HTTPS', port: 443 }]))[0][1]).toContain('needs tls.certificateRefs');
    expect(msgs(gw([{ name: 'a', protocol: 'HTTPS', port: 443, tls: { mode: 'Passthrough', certificateRefs: [{ name: 't' }] } }]))[0][1]).toBe(
      'tls mode must be Terminate for protocol HTTPS',
    );
    expect(msgs(gw([{ name: 'a', protocol: 'HTTP', port: 0 }]))[0]).toEqual(['spec.listeners.0.port', 'must be between 1 and 65535, inclusive']);
    expect(msgs(gw([{ name: 'a', protocol: 'HTTP', port: 80, hostname: '10.0.0.1.' }]))[0][0]).toBe('spec.listeners.0.hostname');
    expect(msgs(gw([{ name: 'A', protocol: 'HTTP', port: 80 }]))[0][0]).toBe('spec.listeners.0.name');
  });
});

describe('parseHTTPRoute', () => {
  const hr = (spec: unknown) => parseHTTPRoute({ apiVersion: GWV, kind: 'HTTPRoute', metadata: { name: 'r' }, spec });

  it('defaults parentRef group/kind, matches, path and weight', () => {
    const r = hr({ parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] });
    expect(r.problems).toEqual([]);
    expect(r.httpRoute).toEqual({
      name: 'r',
      namespace: 'default',
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: undefined, sectionName: undefined, port: undefined }],
      hostnames: [],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [] }],
          backendRefs: [{ group: '', kind: 'Service', name: 'v1', namespace: undefined, port: 80, weight: 1 }],
        },
      ],
    });
    // no rules at all: one rule matching everything, with no backends
    expect(hr({ parentRefs: [{ name: 'gw' }] }).httpRoute!.rules).toEqual([
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [] }], backendRefs: [] },
    ]);
  });

  it('parses weights and header matches', () => {
    const r = hr({
      parentRefs: [{ name: 'gw' }],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/x' }, headers: [{ name: 'X-Canary', value: 'true' }] }],
          backendRefs: [
            { name: 'v1', port: 80, weight: 90 },
            { name: 'v2', port: 80, weight: 10 },
          ],
        },
      ],
    });
    expect(r.httpRoute!.rules[0].matches[0]).toEqual({ path: { type: 'Exact', value: '/x' }, headers: [{ name: 'X-Canary', value: 'true', type: 'Exact' }] });
    expect(r.httpRoute!.rules[0].backendRefs.map((b) => b.weight)).toEqual([90, 10]);
  });

  it('keeps weights within 0..1000000 and requires a port for a Service', () => {
    expect(msgs(hr({ rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 1000001 }] }] }))).toEqual([
      ['spec.rules.0.backendRefs.0.weight', 'must be between 0 and 1000000, inclusive'],
    ]);
    expect(msgs(hr({ rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: -1 }] }] }))[0][1]).toBe('must be between 0 and 1000000, inclusive');
    expect(hr({ rules: [{ backendRefs: [{ name: 'v1', port: 80, weight: 0 }] }] }).problems).toEqual([]);
    expect(msgs(hr({ rules: [{ backendRefs: [{ name: 'v1' }] }] }))).toEqual([['spec.rules.0.backendRefs.0', 'Must have port for Service reference']]);
  });

  it('checks path values as the CEL rules do', () => {
    const p = (value: string, type = 'PathPrefix') => msgs(hr({ rules: [{ matches: [{ path: { type, value } }] }] })).map((x) => x[1]);
    expect(p('api')).toEqual(["value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"]);
    expect(p('/a#b')).toEqual([
      "must not contain '#' when type one of ['Exact', 'PathPrefix']",
      "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
    ]);
    expect(p('/a/..', 'Exact')).toEqual(["must not end with '/..' when type one of ['Exact', 'PathPrefix']"]);
    expect(p('/ok')).toEqual([]);
  });

  it('checks header names, duplicates and hostnames', () => {
    expect(msgs(hr({ rules: [{ matches: [{ headers: [{ name: 'X Bad', value: 'v' }] }] }] }))[0][0]).toBe('spec.rules.0.matches.0.headers.0.name');
    expect(
      msgs(
        hr({
          rules: [
            {
              matches: [
                {
                  headers: [
                    { name: 'x-a', value: 'v' },
                    { name: 'X-A', value: 'w' },
                  ],
                },
              ],
            },
          ],
        }),
      )[0][1],
    ).toContain('Duplicate value');
    expect(msgs(hr({ hostnames: ['*.example.com', 'Bad.com'] }))).toHaveLength(1);
    expect(msgs(hr({ parentRefs: [{ name: 'gw' }, { name: 'gw' }] }))[0][1]).toBe(
      'sectionName must be specified when parentRefs includes 2 or more references to the same parent',
    );
  });

  it('reports what wirelab does not render instead of ignoring it', () => {
    const r = hr({
      rules: [{ matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]' }, method: 'GET' }], filters: [{ type: 'RequestHeaderModifier' }] }],
    });
    expect(r.httpRoute).toBeUndefined();
    expect(r.problems.map((p) => p.path.join('.'))).toEqual(['spec.rules.0.matches.0.path.type', 'spec.rules.0.matches.0.method', 'spec.rules.0.filters']);
    expect(r.problems[0].message).toContain('does not render');
  });
});

describe('parseIngressApiManifest', () => {
  it('dispatches on apiVersion and kind', () => {
    expect(parseIngressApiManifest({ ...ING, spec: { defaultBackend: backend() } }).object?.kind).toBe('Ingress');
    expect(parseIngressApiManifest({ apiVersion: GWV, kind: 'HTTPRoute', metadata: { name: 'r' }, spec: {} }).object?.kind).toBe('HTTPRoute');
    expect(parseIngressApiManifest({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'x' } }).problems[0].message).toContain(
      'not an Ingress or Gateway API object',
    );
  });
});
