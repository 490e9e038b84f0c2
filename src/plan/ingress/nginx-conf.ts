// An nginx.conf generated from Ingresses (and Gateway API HTTPRoutes) the way ingress-nginx
// generates its own. Pure: the input is data, the output a string; nothing is read or run.
//
// What is matched in kubernetes/ingress-nginx (commit dbb11b92, 2026-03) is cited where it is
// reproduced: nginx-ingress.ts (createServers, getBackendServers, SetDefaultNGINXPathType,
// updateServerLocations), nginx-upstreams.ts (getEndpointsFromSlices, upstreamName,
// buildServerName), nginx-render.ts (buildLocation, nginx.tmpl defaults, redirect_to_https);
// the Gateway API in nginx-gateway.ts. Here, planNginx assembles the servers as template.go
// buildHTTPListener/buildHTTPSListener do (default_server only on "_").
//
// Where this differs: ingress-nginx proxies through one Lua-balanced upstream
// (balancer_by_lua, endpoints pushed over HTTP); here each backend is a static `upstream`
// block with its endpoints, which nginx balances with the same round robin. Certificates are
// static ssl_certificate per server (SNI) instead of ssl_certificate_by_lua; without a
// defaultCertificate there is no fake certificate, so hosts without TLS do not listen on 443
// and the catch-all server rejects TLS handshakes (ssl_reject_handshake, nginx >= 1.19.4).
// Empty upstreams become `return 503` (what the Lua balancer answers), the default backend a
// plain `return 404`. No HTTP/2, no annotations, no canary Ingresses, no status server.
import type { HTTPRouteRule } from '../../k8s/ingress-types.js';
import type { NginxConfInput } from './types.js';
import { DEFAULT_SERVER, type LocationAction, type NginxPlan, type PlanListen, type PlanServer } from './nginx-plan.js';
import { buildServerName, type Builder } from './nginx-upstreams.js';
import { DEFAULT_404, planIngresses } from './nginx-ingress.js';
import { gatewayLocations, planGateways, type GwServer } from './nginx-gateway.js';
import { renderPlan } from './nginx-render.js';

// ---- assembling -------------------------------------------------------------------------------------

export function planNginx(input: NginxConfInput): NginxPlan {
  const b: Builder = { input, upstreams: new Map(), statusSockets: new Map(), warnings: [] };
  const sslRedirect = input.sslRedirect ?? true;
  const ingServers = planIngresses(b);
  const portSsl = new Map<number, boolean>([
    [80, false],
    [443, true],
  ]);
  const gwServers = planGateways(b, portSsl);

  // Who is default_server on each port: a Gateway catch-all, else (80/443) the Ingress "_".
  const gwCatchAll = new Map<number, GwServer>();
  for (const s of gwServers) if (s.hostname === '') gwCatchAll.set(s.port, s);
  const servers: PlanServer[] = [];
  for (const s of ingServers) {
    const isDefault = s.hostname === DEFAULT_SERVER;
    const listens: PlanListen[] = [];
    if (!isDefault || !gwCatchAll.has(80)) listens.push({ port: 80, ssl: false, defaultServer: isDefault });
    if (!isDefault || !gwCatchAll.has(443))
      if (isDefault || s.cert || input.defaultCertificate) listens.push({ port: 443, ssl: true, defaultServer: isDefault });
    if (isDefault && listens.length < 2)
      b.warnings.push(
        `a Gateway listener without hostname owns the default server of port ${gwCatchAll.has(80) ? 80 : 443}; the Ingress catch-all server does not listen there`,
      );
    if (listens.length === 0) continue;
    servers.push({
      hostname: s.hostname,
      serverNames: [buildServerName(s.hostname)],
      listens,
      cert: s.cert,
      sslRedirect: sslRedirect && s.ownCert,
      rejectHandshake: isDefault && !s.cert && listens.some((l) => l.ssl),
      locations: s.locations.map((l) => ({ exact: l.pathType === 'Exact', path: l.path, candidates: [{ headers: [], action: l.action, source: l.source }] })),
      origin: 'ingress',
    });
  }
  const ingressHosts = new Set(ingServers.map((s) => s.hostname));
  const actions = new Map<HTTPRouteRule, LocationAction>();
  for (const s of [...gwServers].sort((x, y) => x.port - y.port || (x.hostname < y.hostname ? -1 : x.hostname > y.hostname ? 1 : 0))) {
    if (s.hostname !== '' && (s.port === 80 || s.port === 443) && ingressHosts.has(s.hostname)) {
      b.warnings.push(`host ${s.hostname} on port ${s.port} is served by both an Ingress and an HTTPRoute; nginx uses the first server block (the Ingress)`);
    }
    servers.push({
      hostname: s.hostname || DEFAULT_SERVER,
      serverNames: [s.hostname || DEFAULT_SERVER],
      listens: [{ port: s.port, ssl: s.ssl, defaultServer: s.hostname === '' }],
      cert: s.cert,
      sslRedirect: false,
      rejectHandshake: false,
      locations: gatewayLocations(b, s, actions),
      origin: 'gateway',
    });
  }
  // Gateway ports other than 80/443 without a catch-all: a 404 default server.
  const extraPorts = [...portSsl.entries()].filter(([p]) => p !== 80 && p !== 443 && !gwCatchAll.has(p)).sort((x, y) => x[0] - y[0]);
  if (extraPorts.length > 0) {
    servers.push({
      hostname: DEFAULT_SERVER,
      serverNames: [DEFAULT_SERVER],
      listens: extraPorts.map(([port, ssl]) => ({ port, ssl, defaultServer: true })),
      cert: input.defaultCertificate,
      sslRedirect: false,
      rejectHandshake: !input.defaultCertificate && extraPorts.some(([, ssl]) => ssl),
      locations: [{ exact: false, path: '/', candidates: [{ headers: [], action: DEFAULT_404, source: 'no route for this host' }] }],
      origin: 'gateway',
    });
  }
  return {
    servers,
    upstreams: [...b.upstreams.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    statusSockets: [...b.statusSockets.entries()].map(([status, path]) => ({ status, path })),
    warnings: b.warnings,
  };
}

/** The nginx.conf for these Ingresses, Gateways and HTTPRoutes (see planNginx for the model). */
export function renderNginxConf(input: NginxConfInput): string {
  return renderPlan(planNginx(input), input);
}
