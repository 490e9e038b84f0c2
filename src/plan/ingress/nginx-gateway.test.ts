// renderNginxConf / planNginx for the Gateway API: HTTPRoute semantics (weights, header matches,
// match precedence) and how routes attach to Gateway listeners.
import { describe, expect, it } from 'vitest';
import { planNginx, renderNginxConf } from './nginx-conf.js';
import { intersectHostnames } from './nginx-gateway.js';
import { emptyInput, gateway, GW, gwServices, gwSlices, httpRoute, route, slice } from './testing/nginx-fixtures.js';
import { block, dispatch, swrr, upstream } from './testing/nginx-model.js';

// ---- Gateway API ---------------------------------------------------------------------------------

describe('HTTPRoute weights', () => {
  it('splits 90/10 in ONE upstream with weight=90 and weight=10', () => {
    const r = route({
      hostnames: ['shop.local'],
      rules: [
        {
          backendRefs: [
            { name: 'v1', port: 80, weight: 90 },
            { name: 'v2', port: 80, weight: 10 },
          ],
        },
      ],
    });
    const input = emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices });
    const plan = planNginx(input);
    expect(dispatch(plan, 'shop.local', '/')).toBe('upstream:httproute-default-r-rule-0');
    const u = upstream(plan, 'httproute-default-r-rule-0');
    expect(u.servers).toEqual([
      { address: '10.244.1.50:80', weight: 90 },
      { address: '10.244.2.50:80', weight: 10 },
    ]);
    const conf = renderNginxConf(input);
    expect(block(conf, 'upstream httproute-default-r-rule-0')).toContain('server 10.244.1.50:80 weight=90 max_fails=0;');
    expect(block(conf, 'upstream httproute-default-r-rule-0')).toContain('server 10.244.2.50:80 weight=10 max_fails=0;');
    // smooth WRR: exactly 10 of 100 requests to v2, never two in a row, the same every time
    const seq = swrr(u, 100);
    expect(seq.filter((a) => a === '10.244.2.50:80')).toHaveLength(10);
    expect(seq.slice(0, 10)).toEqual([
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.2.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
      '10.244.1.50:80',
    ]);
  });

  it('scales weights by the lcm of the endpoint counts so that each backend keeps its share', () => {
    const r = route({
      hostnames: ['shop.local'],
      rules: [
        {
          backendRefs: [
            { name: 'v1', port: 80, weight: 90 },
            { name: 'v2', port: 80, weight: 10 },
          ],
        },
      ],
    });
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
    const r = route({
      rules: [
        {
          backendRefs: [
            { name: 'v1', port: 80 },
            { name: 'v2', port: 80, weight: 0 },
          ],
        },
      ],
    });
    const plan = planNginx(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices }));
    expect(dispatch(plan, 'any.host', '/')).toBe('upstream:default-v1-80');
  });

  it('keeps the share of an invalid backend as 500 and of an empty one as 503', () => {
    const r = route({
      hostnames: ['shop.local'],
      rules: [
        {
          backendRefs: [
            { name: 'v1', port: 80, weight: 2 },
            { name: 'missing', port: 80, weight: 1 },
            { name: 'v2', port: 80, weight: 1 },
          ],
        },
      ],
    });
    const plan = planNginx(
      emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: [slice('v1', ['10.244.1.50']), slice('v2', [])] }),
    );
    expect(upstream(plan, 'httproute-default-r-rule-0').servers).toEqual([
      { address: '10.244.1.50:80', weight: 2 },
      { address: 'unix:/run/wirelab/ingress/http-500.sock', weight: 1 },
      { address: 'unix:/run/wirelab/ingress/http-503.sock', weight: 1 },
    ]);
    expect(plan.statusSockets).toEqual([
      { status: 500, path: '/run/wirelab/ingress/http-500.sock' },
      { status: 503, path: '/run/wirelab/ingress/http-503.sock' },
    ]);
    const none = planNginx(
      emptyInput({ gateways: [gateway(GW)], httpRoutes: [route({ rules: [{ backendRefs: [] }] })], services: gwServices, endpointSlices: gwSlices }),
    );
    expect(dispatch(none, 'x', '/')).toBe('status:500');
  });
});

describe('HTTPRoute matches', () => {
  const canary = route({
    hostnames: ['shop.local'],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ name: 'X-Canary', value: 'true' }] }], backendRefs: [{ name: 'canary', port: 80 }] },
      { backendRefs: [{ name: 'v1', port: 80 }] },
      {
        matches: [
          {
            path: { type: 'PathPrefix', value: '/api' },
            headers: [
              { name: 'X-Env', value: 'qa' },
              { name: 'X-Team', value: 'a' },
            ],
          },
        ],
        backendRefs: [{ name: 'v2', port: 80 }],
      },
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
    expect(renderNginxConf(emptyInput({ gateways: [gateway(GW)], httpRoutes: [r], services: gwServices, endpointSlices: gwSlices }))).toContain(
      'if ($http_x_token = "a${literal_dollar}b\\"c")',
    );
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
          {
            name: 'https',
            protocol: 'HTTPS',
            port: 443,
            hostname: '*.shop.local',
            tls: { certificateRefs: [{ name: 'shop-tls' }] },
            allowedRoutes: { namespaces: { from: 'All' } },
          },
        ],
      },
    });
    const r = httpRoute({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'gw', namespace: 'infra', sectionName: 'https' }],
        hostnames: ['www.shop.local'],
        rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }],
      },
    });
    const input = emptyInput({
      gateways: [gw],
      httpRoutes: [r],
      services: gwServices,
      endpointSlices: gwSlices,
      certs: { 'infra/shop-tls': { cert: '/c/shop.crt', key: '/c/shop.key' } },
    });
    const plan = planNginx(input);
    expect(dispatch(plan, 'www.shop.local', '/', {}, 443)).toBe('upstream:default-v1-80');
    expect(dispatch(plan, 'www.shop.local', '/', {}, 80)).toBe('status:404');
    const server = block(renderNginxConf(input), '## start server www.shop.local');
    expect(server).toContain('listen 443 ssl;');
    expect(server).toContain('ssl_certificate /c/shop.crt;');
    // the http listener only admits routes from its own namespace (allowedRoutes default Same)
    const r2 = httpRoute({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r2', namespace: 'default' },
      spec: { parentRefs: [{ name: 'gw', namespace: 'infra', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] },
    });
    const p2 = planNginx({ ...input, httpRoutes: [r2] });
    expect(p2.warnings.some((w) => w.includes('not attached'))).toBe(true);
  });

  it('makes a catch-all listener the default server of its port and adds a 404 default for other ports', () => {
    const gw = gateway({
      ...GW,
      spec: {
        gatewayClassName: 'nginx',
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 80 },
          { name: 'alt', protocol: 'HTTP', port: 8080, hostname: 'alt.local' },
        ],
      },
    });
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
      emptyInput({
        gateways: [gateway(GW)],
        httpRoutes: [route({ rules: [{ backendRefs: [{ name: 'v1', port: 80 }] }] })],
        services: gwServices,
        endpointSlices: gwSlices,
        gatewayClasses: [{ name: 'nginx', controllerName: 'example.com/other' }],
        controllerName: 'gateway.nginx.org/nginx-gateway-controller',
      }),
    );
    expect(plan.servers.every((s) => s.origin === 'ingress')).toBe(true);
  });
});
