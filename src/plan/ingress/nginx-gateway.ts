// HTTPRoutes on Gateway listeners -> nginx servers, locations and weighted upstreams.
//
// Gateway API (ingress-nginx does not implement it; semantics from gateway-api apis/v1):
// HTTPRoutes attach to HTTP/HTTPS listeners of their parentRefs (sectionName, port,
// allowedRoutes Same/All, hostname intersection); one server per port and hostname; paths as
// for Ingresses in nginx-ingress.ts (PathPrefix trailing "/" ignored, as the spec says); within
// a location the matches are tried in the spec's precedence order (Exact, longest prefix, most
// headers, route order, rule order). Weighted backendRefs become ONE upstream whose servers
// carry weight= so that each backend's total is proportional to its weight: with n_i endpoints
// for weight w_i, every endpoint gets w_i * L / n_i where L = lcm(n_i) (exact integers, never
// rounded; e.g. 90/10 over 1 and 1 endpoints -> 90 and 10; over 2 and 1 -> 90, 90 and 20).
// nginx's weighted round robin is smooth WRR (ngx_http_upstream_get_peer: current += weight,
// pick the largest, subtract the total), so with worker_processes 1 the sequence is
// deterministic: for 90/10, one request in every ten goes to v2 (v1 x5, v2, v1 x4 per cycle of
// 10, repeated). An invalid backendRef (unknown Service or port, other kind, cross-namespace
// without ReferenceGrant) keeps its share as a 500, a Service without ready endpoints as a 503,
// through internal unix sockets in the same upstream, as the spec requires; no backendRefs or
// all weights 0 -> 500.
import { GATEWAY_GROUP } from '../../k8s/gateway.js';
import type { Gateway, HTTPHeaderMatch, HTTPRoute, HTTPRouteRule, Listener } from '../../k8s/ingress-types.js';
import type { CertFiles } from './types.js';
import type { LocationAction, PlanLocation } from './nginx-plan.js';
import { headerVariable, lcm, resolveEndpoints, statusSocket, upstreamName, type Builder } from './nginx-upstreams.js';

// ---- Gateway API ----------------------------------------------------------------------------------

export interface GwServer {
  key: string;
  port: number;
  ssl: boolean;
  /** "" for a listener and routes without hostnames: every host. */
  hostname: string;
  cert?: CertFiles;
  attachments: { route: HTTPRoute; routeIndex: number }[];
}

/** Hostnames a route gets on a listener (Gateway API hostname intersection); [""] = all hosts;
 * [] = no intersection (the route is not accepted there). */
export function intersectHostnames(listener: string | undefined, route: string[]): string[] {
  if (listener === undefined) return route.length > 0 ? [...new Set(route)] : [''];
  if (route.length === 0) return [listener];
  const out = new Set<string>();
  const suffix = (w: string) => w.slice(1); // "*.example.com" -> ".example.com"
  for (const r of route) {
    if (r === listener) out.add(r);
    else if (listener.startsWith('*.') && !r.startsWith('*.') && r.endsWith(suffix(listener))) out.add(r);
    else if (!listener.startsWith('*.') && r.startsWith('*.') && listener.endsWith(suffix(r))) out.add(listener);
    else if (listener.startsWith('*.') && r.startsWith('*.')) {
      if (suffix(r).endsWith(suffix(listener))) out.add(r);
      else if (suffix(listener).endsWith(suffix(r))) out.add(listener);
    }
  }
  return [...out];
}

function listenerCert(b: Builder, gw: Gateway, l: Listener): CertFiles | undefined {
  const ref = l.tls?.certificateRefs[0];
  if (!ref) return undefined;
  const ns = ref.namespace ?? gw.namespace;
  if (ns !== gw.namespace)
    b.warnings.push(
      `gateway ${gw.namespace}/${gw.name} listener ${l.name}: certificate ${ns}/${ref.name} is in another namespace (needs a ReferenceGrant, assumed present)`,
    );
  return b.input.certs[`${ns}/${ref.name}`];
}

export function planGateways(b: Builder, portSsl: Map<number, boolean>): GwServer[] {
  const { input } = b;
  let gateways = input.gateways;
  if (input.controllerName && input.gatewayClasses) {
    const ours = new Set(input.gatewayClasses.filter((c) => c.controllerName === input.controllerName).map((c) => c.name));
    for (const g of gateways)
      if (!ours.has(g.gatewayClassName))
        b.warnings.push(`gateway ${g.namespace}/${g.name}: class ${g.gatewayClassName} is not handled by ${input.controllerName}; ignored`);
    gateways = gateways.filter((g) => ours.has(g.gatewayClassName));
  }
  // Usable listeners: HTTP/HTTPS, a certificate for HTTPS, no http/https clash on a port.
  const usable = new Map<string, { gw: Gateway; l: Listener; cert?: CertFiles }>();
  for (const gw of gateways) {
    for (const l of gw.listeners) {
      const where = `gateway ${gw.namespace}/${gw.name} listener ${l.name}`;
      if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') {
        b.warnings.push(`${where}: protocol ${l.protocol} is not rendered (HTTP and HTTPS only)`);
        continue;
      }
      const ssl = l.protocol === 'HTTPS';
      const cert = ssl ? listenerCert(b, gw, l) : undefined;
      if (ssl && !cert) {
        b.warnings.push(`${where}: no certificate for ${l.tls?.certificateRefs[0]?.name ?? '(none)'} (InvalidCertificateRef); listener not programmed`);
        continue;
      }
      const existing = portSsl.get(l.port);
      if (existing !== undefined && existing !== ssl) {
        b.warnings.push(`${where}: port ${l.port} already serves ${existing ? 'HTTPS' : 'HTTP'} (ProtocolConflict); listener not programmed`);
        continue;
      }
      portSsl.set(l.port, ssl);
      usable.set(`${gw.namespace}/${gw.name}/${l.name}`, { gw, l, cert });
    }
  }
  const servers = new Map<string, GwServer>();
  input.httpRoutes.forEach((route, routeIndex) => {
    const rkey = `httproute ${route.namespace}/${route.name}`;
    for (const ref of route.parentRefs) {
      if (ref.group !== GATEWAY_GROUP || ref.kind !== 'Gateway') {
        b.warnings.push(`${rkey}: parent ${ref.kind} ${ref.name} is not a Gateway; ignored`);
        continue;
      }
      const ns = ref.namespace ?? route.namespace;
      const gw = gateways.find((g) => g.namespace === ns && g.name === ref.name);
      if (!gw) {
        b.warnings.push(`${rkey}: gateway ${ns}/${ref.name} not found (or not ours); not attached`);
        continue;
      }
      let attached = 0;
      for (const l of gw.listeners) {
        if (ref.sectionName !== undefined && ref.sectionName !== l.name) continue;
        if (ref.port !== undefined && ref.port !== l.port) continue;
        const u = usable.get(`${gw.namespace}/${gw.name}/${l.name}`);
        if (!u) continue;
        if (l.allowedRoutesFrom === 'Same' && route.namespace !== gw.namespace) continue;
        if (l.allowedRoutesFrom === 'Selector') {
          b.warnings.push(`${rkey}: listener ${l.name} selects namespaces by label, which wirelab does not evaluate; not attached`);
          continue;
        }
        const hostnames = intersectHostnames(l.hostname, route.hostnames);
        if (hostnames.length === 0) continue;
        attached++;
        for (const hostname of hostnames) {
          const key = `${l.port}|${hostname}`;
          let s = servers.get(key);
          if (!s) {
            s = { key, port: l.port, ssl: l.protocol === 'HTTPS', hostname, cert: u.cert, attachments: [] };
            servers.set(key, s);
          } else if (u.cert && s.cert && u.cert.cert !== s.cert.cert) {
            b.warnings.push(`${rkey}: host ${hostname || '*'} on port ${l.port} has two certificates; the first (${s.cert.cert}) is used`);
          }
          if (!s.attachments.some((a) => a.route === route)) s.attachments.push({ route, routeIndex });
        }
      }
      if (attached === 0)
        b.warnings.push(`${rkey}: no listener of gateway ${ns}/${ref.name} accepts it (sectionName/port, allowedRoutes, protocol or hostname); not attached`);
    }
  });
  return [...servers.values()];
}

/** Element-wise prefix match (Ingress Prefix / Gateway PathPrefix): "/foo" covers "/foo" and
 * "/foo/..." but not "/foox". */
export function prefixCovers(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

interface GwMatch {
  exact: boolean;
  /** Exact: as written; PathPrefix: without trailing "/" (except "/"). */
  value: string;
  headers: HTTPHeaderMatch[];
  action: LocationAction;
  order: [number, number, number];
  source: string;
}

/** The action of a rule: one upstream for its weighted backendRefs. */
function ruleAction(b: Builder, route: HTTPRoute, rule: HTTPRouteRule, ruleIndex: number): LocationAction {
  const where = `httproute ${route.namespace}/${route.name} rule ${ruleIndex}`;
  const groups: { weight: number; members: string[]; label: string }[] = [];
  for (const ref of rule.backendRefs) {
    if (ref.weight === 0) continue;
    const label = `${ref.name}:${ref.port ?? ''}`;
    const invalid = (reason: string) => {
      b.warnings.push(`${where}: backendRef ${label}: ${reason}; its share gets 500`);
      groups.push({ weight: ref.weight, members: [statusSocket(b, 500)], label: `${label} (invalid: 500)` });
    };
    if (ref.group !== '' || ref.kind !== 'Service') {
      invalid(`kind ${ref.group || 'core'}/${ref.kind} is not supported (InvalidKind)`);
      continue;
    }
    const ns = ref.namespace ?? route.namespace;
    if (ns !== route.namespace) {
      invalid(`service in namespace ${ns} needs a ReferenceGrant (RefNotPermitted)`);
      continue;
    }
    const r = resolveEndpoints(b.input.services, b.input.endpointSlices, ns, ref.name, String(ref.port), true);
    if (!r.ok) {
      invalid(`${r.reason} (BackendNotFound)`);
      continue;
    }
    if (r.servers.length === 0) {
      b.warnings.push(`${where}: backendRef ${label}: no ready endpoints; its share gets 503`);
      groups.push({ weight: ref.weight, members: [statusSocket(b, 503)], label: `${label} (no endpoints: 503)` });
      continue;
    }
    groups.push({ weight: ref.weight, members: r.servers, label });
  }
  if (groups.length === 0) {
    b.warnings.push(`${where}: no backendRefs with weight > 0; requests get 500`);
    return { kind: 'return', status: 500 };
  }
  if (groups.length === 1) {
    const g = groups[0];
    if (g.members.length === 1 && g.members[0].startsWith('unix:')) return { kind: 'return', status: g.members[0].endsWith('500.sock') ? 500 : 503 };
    const ref = rule.backendRefs.find((x) => x.weight > 0)!;
    const name = upstreamName(route.namespace, { name: ref.name, port: { number: ref.port! } });
    if (!b.upstreams.has(name))
      b.upstreams.set(name, {
        name,
        servers: g.members.map((address) => ({ address })),
        comments: [`service ${route.namespace}/${ref.name} port ${ref.port}`],
      });
    return { kind: 'proxy', upstream: name };
  }
  // Weighted: every member of group i gets weight_i * L / n_i, L = lcm of the member counts.
  const L = groups.reduce((acc, g) => lcm(acc, g.members.length), 1);
  const weights = new Map<string, number>();
  for (const g of groups) for (const m of g.members) weights.set(m, (weights.get(m) ?? 0) + (g.weight * L) / g.members.length);
  const values = [...weights.values()];
  const uniform = values.every((v) => v === values[0]);
  const name = `httproute-${route.namespace}-${route.name}-rule-${ruleIndex}`;
  b.upstreams.set(name, {
    name,
    servers: [...weights.entries()].map(([address, weight]) => (uniform ? { address } : { address, weight })),
    comments: [
      `weighted backendRefs: ${groups.map((g) => `${g.label} weight ${g.weight} over ${g.members.length} server(s)`).join(', ')}`,
      `each server's weight = backend weight * ${L} / its server count (lcm of the counts = ${L})`,
    ],
  });
  return { kind: 'proxy', upstream: name };
}

export function gatewayLocations(b: Builder, s: GwServer, actions: Map<HTTPRouteRule, LocationAction>): PlanLocation[] {
  const matches: GwMatch[] = [];
  for (const { route, routeIndex } of s.attachments) {
    route.rules.forEach((rule, ri) => {
      let action = actions.get(rule);
      if (!action) {
        action = ruleAction(b, route, rule, ri);
        actions.set(rule, action);
      }
      rule.matches.forEach((m, mi) => {
        const bad = m.headers.find((h) => !headerVariable(h.name) || h.name.includes('_'));
        if (bad) {
          b.warnings.push(
            `httproute ${route.namespace}/${route.name} rule ${ri} match ${mi}: header ${bad.name} cannot be matched by nginx (letters, digits and "-" only; nginx drops headers with "_"); this match never applies`,
          );
          return;
        }
        const exact = m.path.type === 'Exact';
        const value = exact || m.path.value === '/' ? m.path.value : m.path.value.replace(/\/+$/, '') || '/';
        matches.push({
          exact,
          value,
          headers: m.headers,
          action: action!,
          order: [routeIndex, ri, mi],
          source: `httproute ${route.namespace}/${route.name} rule ${ri} match ${mi}: ${m.path.type} ${m.path.value}${m.headers.map((h) => ` ${h.name}=${h.value}`).join('')}`,
        });
      });
    });
  }
  // Locations: `= v` for Exact and for every prefix (the prefix itself), `v/` for prefixes.
  const keys = new Map<string, { exact: boolean; path: string }>();
  for (const m of matches) {
    if (m.exact) keys.set(`=${m.value}`, { exact: true, path: m.value });
    else if (m.value === '/') keys.set('/', { exact: false, path: '/' });
    else {
      keys.set(`=${m.value}`, { exact: true, path: m.value });
      keys.set(`${m.value}/`, { exact: false, path: `${m.value}/` });
    }
  }
  if (!keys.has('/')) keys.set('/', { exact: false, path: '/' });
  const precedence = (x: GwMatch, y: GwMatch) =>
    Number(y.exact) - Number(x.exact) ||
    y.value.length - x.value.length ||
    y.headers.length - x.headers.length ||
    x.order[0] - y.order[0] ||
    x.order[1] - y.order[1] ||
    x.order[2] - y.order[2];
  const locations: PlanLocation[] = [];
  for (const { exact, path } of keys.values()) {
    // The request paths reaching this location: exactly `path`, or (prefix) those under it.
    const candidates = matches
      .filter((m) =>
        m.exact ? exact && m.value === path : exact ? prefixCovers(m.value, path) : prefixCovers(m.value, path === '/' ? '/' : path.slice(0, -1)),
      )
      .sort(precedence);
    locations.push({ exact, path, candidates: candidates.map((m) => ({ headers: m.headers, action: m.action, source: m.source })) });
  }
  locations.sort((x, y) => y.path.length - x.path.length || (x.path > y.path ? -1 : x.path < y.path ? 1 : 0) || Number(y.exact) - Number(x.exact));
  return locations;
}
