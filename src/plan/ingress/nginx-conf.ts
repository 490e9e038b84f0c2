// An nginx.conf generated from Ingresses (and Gateway API HTTPRoutes) the way ingress-nginx
// generates its own. Pure: the input is data, the output a string; nothing is read or run.
//
// What is matched in kubernetes/ingress-nginx (commit dbb11b92, 2026-03):
// - internal/ingress/controller/controller.go createServers: a "_" catch-all server whose "/"
//   goes to the default backend (a 404), or to the defaultBackend of an Ingress with no rules;
//   one server per rule host, created by the first Ingress naming it, with a "/" location to
//   the default backend (that Ingress's defaultBackend if it has one); a rule without a host
//   lands in "_"; TLS from the first Ingress whose spec.tls lists the host
//   (extractTLSSecretName), otherwise the default certificate.
// - getBackendServers: a path is added unless a location with the same path and pathType
//   exists (a default-backend "/" is replaced, any other is kept: first Ingress wins); then
//   locations sorted by path descending, then by length descending (longest first).
// - internal/k8s/main.go SetDefaultNGINXPathType: ImplementationSpecific (or none) -> Prefix.
// - location.go updateServerLocations: a Prefix path "/foo" becomes `location "/foo/"` plus
//   `location = "/foo"` (unless an Exact "/foo" exists), so it matches /foo and /foo/* but not
//   /foox. As in ingress-nginx, a Prefix path written with a trailing slash ("/foo/") gets
//   `location = "/foo/"` only, so "/foo" itself falls through to "/" (the API says it should
//   match; ingress-nginx does not).
// - template.go buildLocation (`location = "..."` for Exact, quoted paths, sanitizeQuotedRegex),
//   buildServerName (a wildcard host becomes ~^(?<subdomain>[\w-]+)\.example\.com$),
//   buildHTTPListener/buildHTTPSListener (default_server only on "_"); util.go upstreamName
//   (namespace-service-port).
// - endpointslices.go getEndpointsFromSlices and controller.go serviceEndpoints: the service
//   port is the one whose port, targetPort or name equals the Ingress port; the endpoint port is
//   the EndpointSlice port of the same name (the only one when the service port has no name;
//   else a numeric targetPort); TCP only; endpoints whose ready condition is false are
//   skipped; pod IP:port, never the ClusterIP (service-upstream is off by default).
// - rootfs/etc/nginx/template/nginx.tmpl and config/config.go defaults: log_format upstreaminfo,
//   the $connection_upgrade and $req_id maps, $literal_dollar, proxy_set_header Host
//   $best_http_host (= $http_host), X-Request-ID, X-Real-IP, X-Forwarded-For $remote_addr
//   (compute-full-forwarded-for off), X-Forwarded-Host/-Port/-Proto/-Scheme, X-Scheme,
//   X-Original-Forwarded-For/-Host, Proxy ""; proxy timeouts 5s/60s/60s, buffering off, HTTP/1.1,
//   next upstream "error timeout" x3; upstream keepalive 320/1h/60s/10000; ssl protocols,
//   ciphers and session cache; client_max_body_size 1m; server_tokens off.
// - lua_ingress.lua redirect_to_https (ssl-redirect, default true): a 308 to https for hosts
//   with their own certificate, with a trailing "/" of the request URI dropped
//   (preserve-trailing-slash false).
//
// Where this differs: ingress-nginx proxies through one Lua-balanced upstream
// (balancer_by_lua, endpoints pushed over HTTP); here each backend is a static `upstream`
// block with its endpoints, which nginx balances with the same round robin. Certificates are
// static ssl_certificate per server (SNI) instead of ssl_certificate_by_lua; without a
// defaultCertificate there is no fake certificate, so hosts without TLS do not listen on 443
// and the catch-all server rejects TLS handshakes (ssl_reject_handshake, nginx >= 1.19.4).
// Empty upstreams become `return 503` (what the Lua balancer answers), the default backend a
// plain `return 404`. No HTTP/2, no annotations, no canary Ingresses, no status server.
//
// Gateway API (ingress-nginx does not implement it; semantics from gateway-api apis/v1):
// HTTPRoutes attach to HTTP/HTTPS listeners of their parentRefs (sectionName, port,
// allowedRoutes Same/All, hostname intersection); one server per port and hostname; paths as
// above (PathPrefix trailing "/" ignored, as the spec says); within a location the matches are
// tried in the spec's precedence order (Exact, longest prefix, most headers, route order, rule
// order). Weighted backendRefs become ONE upstream whose servers carry weight= so that each
// backend's total is proportional to its weight: with n_i endpoints for weight w_i, every
// endpoint gets w_i * L / n_i where L = lcm(n_i) (exact integers, never rounded; e.g. 90/10
// over 1 and 1 endpoints -> 90 and 10; over 2 and 1 -> 90, 90 and 20). nginx's weighted round
// robin is smooth WRR (ngx_http_upstream_get_peer: current += weight, pick the largest,
// subtract the total), so with worker_processes 1 the sequence is deterministic: for 90/10, one
// request in every ten goes to v2 (v1 x5, v2, v1 x4 per cycle of 10, repeated). An invalid
// backendRef (unknown Service or port, other kind, cross-namespace without ReferenceGrant)
// keeps its share as a 500, a Service without ready endpoints as a 503, through internal unix
// sockets in the same upstream, as the spec requires; no backendRefs or all weights 0 -> 500.
import type { EndpointSlice, Service, ServicePort } from '../../model/types.js';
import { GATEWAY_GROUP, INGRESS_CLASS_ANNOTATION } from '../../k8s/ingress.js';
import type { Gateway, HTTPHeaderMatch, HTTPRoute, HTTPRouteRule, Ingress, IngressServiceBackend, Listener } from '../../k8s/ingress-types.js';
import type { CertFiles, NginxConfInput } from './types.js';

// ---- the plan: servers, locations, upstreams ------------------------------------------------

export const DEFAULT_UPSTREAM = 'upstream-default-backend';
export const DEFAULT_SERVER = '_';

export type LocationAction = { kind: 'proxy'; upstream: string } | { kind: 'return'; status: number };

/** One way a request reaching a location can be handled: all headers must match. */
export interface LocationCandidate {
  headers: HTTPHeaderMatch[];
  action: LocationAction;
  /** Where it comes from, for comments: "ingress default/web path /api". */
  source: string;
}

export interface PlanLocation {
  exact: boolean;
  path: string;
  /** In precedence order: the first whose headers all match wins; none matching -> 404. */
  candidates: LocationCandidate[];
}

export interface PlanListen {
  port: number;
  ssl: boolean;
  defaultServer: boolean;
}

export interface PlanServer {
  /** The host ("_" for a catch-all server). */
  hostname: string;
  /** server_name arguments, unquoted. */
  serverNames: string[];
  listens: PlanListen[];
  cert?: CertFiles;
  /** 308 to https when the request came over http (ingress-nginx ssl-redirect). */
  sslRedirect: boolean;
  /** TLS listen without a certificate: refuse the handshake. */
  rejectHandshake: boolean;
  locations: PlanLocation[];
  origin: 'ingress' | 'gateway';
}

export interface PlanUpstream {
  name: string;
  servers: { address: string; weight?: number }[];
  comments: string[];
}

export interface NginxPlan {
  servers: PlanServer[];
  upstreams: PlanUpstream[];
  /** Internal servers answering a fixed status on a unix socket (for weighted 500/503 shares). */
  statusSockets: { status: number; path: string }[];
  warnings: string[];
}

// ---- small helpers --------------------------------------------------------------------------------

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** A double-quoted nginx string with backslashes and quotes escaped (sanitizeQuotedRegex). */
export function nginxQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A quoted string in a context where nginx expands variables: "$" via $literal_dollar. */
function quoteValue(s: string): string {
  return nginxQuote(s).replace(/\$/g, '${literal_dollar}');
}

/** util.go upstreamName. */
export function upstreamName(namespace: string, svc: IngressServiceBackend): string {
  return 'number' in svc.port ? `${namespace}-${svc.name}-${svc.port.number}` : `${namespace}-${svc.name}-${svc.port.name}`;
}

/** template.go buildServerName: "*.example.com" -> ~^(?<subdomain>[\w-]+)\.example\.com$. */
export function buildServerName(hostname: string): string {
  if (!hostname.startsWith('*')) return hostname;
  const parts = hostname.replace('*.', '').split('.');
  return `~^(?<subdomain>[\\w-]+)\\.${parts.join('\\.')}$`;
}

/** nginx's $http_<name> variable for a request header, or undefined if it cannot be one. */
export function headerVariable(name: string): string | undefined {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return undefined;
  return `$http_${name.toLowerCase().replace(/-/g, '_')}`;
}

// ---- endpoints -----------------------------------------------------------------------------------

type Resolution = { ok: true; servers: string[]; service: Service; servicePort: ServicePort } | { ok: false; reason: string };

/** Endpoints for a service port, as getEndpointsFromSlices computes them. `portKey` is compared
 * with the service port's number, targetPort and name (serviceEndpoints); `strictNumber` (the
 * Gateway API) compares the port number only. */
export function resolveEndpoints(services: Service[], slices: EndpointSlice[], namespace: string, name: string, portKey: string, strictNumber = false): Resolution {
  const service = services.find((s) => s.namespace === namespace && s.name === name);
  if (!service) return { ok: false, reason: `service ${namespace}/${name} not found` };
  if (service.type === 'ExternalName') return { ok: false, reason: `service ${namespace}/${name} is ExternalName, which wirelab does not proxy to` };
  const servicePort = service.ports.find((p) => (strictNumber ? String(p.port) === portKey : String(p.port) === portKey || String(p.targetPort) === portKey || p.name === portKey));
  if (!servicePort) return { ok: false, reason: `service ${namespace}/${name} has no port ${portKey}` };
  const seen = new Set<string>();
  const servers: string[] = [];
  for (const slice of slices.filter((s) => s.namespace === namespace && s.serviceName === name)) {
    const ports: number[] = [];
    if (slice.ports.length === 0 && typeof servicePort.targetPort === 'number') ports.push(servicePort.targetPort);
    for (const ep of slice.ports) {
      if (ep.protocol !== 'TCP') continue;
      let target = 0;
      if (servicePort.name === '') target = ep.port;
      else if (servicePort.name === ep.name) target = ep.port;
      if (target === 0 && typeof servicePort.targetPort === 'number') target = servicePort.targetPort;
      if (target !== 0) ports.push(target);
    }
    for (const ep of slice.endpoints) {
      if (!ep.ready) continue;
      for (const p of ports) {
        const hp = `${ep.ip}:${p}`;
        if (seen.has(hp)) continue;
        seen.add(hp);
        servers.push(hp);
      }
    }
  }
  return { ok: true, servers, service, servicePort };
}

// ---- planning ----------------------------------------------------------------------------------------

interface Builder {
  input: NginxConfInput;
  upstreams: Map<string, PlanUpstream>;
  statusSockets: Map<number, string>;
  warnings: string[];
}

const UPSTREAM_KEEPALIVE_COMMENT = 'keepalive as ingress-nginx upstream_balancer';

/** An upstream for a Service backend (shared by every location using it); a return when empty. */
function serviceAction(b: Builder, namespace: string, svc: IngressServiceBackend, context: string): LocationAction {
  const name = upstreamName(namespace, svc);
  if (b.upstreams.has(name)) return { kind: 'proxy', upstream: name };
  const portKey = 'number' in svc.port ? String(svc.port.number) : svc.port.name;
  const r = resolveEndpoints(b.input.services, b.input.endpointSlices, namespace, svc.name, portKey);
  if (!r.ok) {
    b.warnings.push(`${context}: ${r.reason}; requests get 503`);
    return { kind: 'return', status: 503 };
  }
  if (r.servers.length === 0) {
    b.warnings.push(`${context}: service ${namespace}/${svc.name} has no ready endpoints; requests get 503`);
    return { kind: 'return', status: 503 };
  }
  b.upstreams.set(name, { name, servers: r.servers.map((address) => ({ address })), comments: [`service ${namespace}/${svc.name} port ${r.servicePort.name || r.servicePort.port} (${r.servicePort.port} -> targetPort ${r.servicePort.targetPort})`] });
  return { kind: 'proxy', upstream: name };
}

function statusSocket(b: Builder, status: number): string {
  let path = b.statusSockets.get(status);
  if (!path) {
    path = `${b.input.stateDir.replace(/\/$/, '')}/http-${status}.sock`;
    b.statusSockets.set(status, path);
  }
  return `unix:${path}`;
}

// ---- Ingress -------------------------------------------------------------------------------------

interface IngLocation {
  path: string;
  pathType: 'Exact' | 'Prefix';
  action: LocationAction;
  isDefBackend: boolean;
  source: string;
}

interface IngServer {
  hostname: string;
  locations: IngLocation[];
  cert?: CertFiles;
  ownCert: boolean;
  certSet: boolean;
}

/** GetIngressClass: ingressClassName, else the annotation, else --watch-ingress-without-class. */
export function ingressClassMatches(ing: Ingress, ingressClass: string, watchWithoutClass = false): boolean {
  if (ing.ingressClassName !== undefined) return ing.ingressClassName === ingressClass;
  const ann = ing.annotations[INGRESS_CLASS_ANNOTATION];
  if (ann !== undefined) return ann === ingressClass;
  return watchWithoutClass;
}

const DEFAULT_404: LocationAction = { kind: 'return', status: 404 };

function planIngresses(b: Builder): IngServer[] {
  const { input } = b;
  const ings = input.ingresses.filter((i) => ingressClassMatches(i, input.ingressClass, input.watchIngressWithoutClass));
  for (const i of input.ingresses) if (!ings.includes(i)) b.warnings.push(`ingress ${i.namespace}/${i.name}: class ${i.ingressClassName ?? i.annotations[INGRESS_CLASS_ANNOTATION] ?? '(none)'} is not ${input.ingressClass}; ignored`);
  const servers = new Map<string, IngServer>();
  servers.set(DEFAULT_SERVER, {
    hostname: DEFAULT_SERVER,
    locations: [{ path: '/', pathType: 'Prefix', action: DEFAULT_404, isDefBackend: true, source: 'default backend' }],
    cert: input.defaultCertificate,
    ownCert: false,
    certSet: true,
  });

  // createServers: servers and their "/" default locations.
  for (const ing of ings) {
    const key = `${ing.namespace}/${ing.name}`;
    let un: LocationAction = DEFAULT_404;
    let unSource = 'default backend';
    if (ing.defaultBackend?.service) {
      un = serviceAction(b, ing.namespace, ing.defaultBackend.service, `ingress ${key} defaultBackend`);
      unSource = `ingress ${key} defaultBackend ${ing.defaultBackend.service.name}`;
      const defLoc = servers.get(DEFAULT_SERVER)!.locations[0];
      if (defLoc.isDefBackend && ing.rules.length === 0) {
        defLoc.isDefBackend = false;
        defLoc.action = un;
        defLoc.source = unSource;
      }
    }
    for (const rule of ing.rules) {
      const host = rule.host || DEFAULT_SERVER;
      if (servers.has(host)) continue;
      servers.set(host, { hostname: host, locations: [{ path: '/', pathType: 'Prefix', action: un, isDefBackend: true, source: unSource }], ownCert: false, certSet: false });
    }
  }

  // createServers: certificates (the first Ingress with TLS for the host wins).
  for (const ing of ings) {
    for (const rule of ing.rules) {
      const server = servers.get(rule.host || DEFAULT_SERVER)!;
      if (server.certSet || ing.tls.length === 0) continue;
      server.certSet = true;
      const secret = tlsSecretName(server.hostname, ing);
      if (!secret) {
        server.cert = input.defaultCertificate;
        continue;
      }
      const cert = input.certs[`${ing.namespace}/${secret}`];
      if (!cert) {
        b.warnings.push(`ingress ${ing.namespace}/${ing.name}: no certificate for secret ${ing.namespace}/${secret}; host ${server.hostname} uses the default certificate`);
        server.cert = input.defaultCertificate;
        continue;
      }
      server.cert = cert;
      server.ownCert = true;
    }
  }

  // getBackendServers: locations.
  for (const ing of ings) {
    const key = `${ing.namespace}/${ing.name}`;
    for (const rule of ing.rules) {
      const server = servers.get(rule.host || DEFAULT_SERVER)!;
      if (!rule.http) continue;
      for (const p of rule.http.paths) {
        if (!p.backend.service) {
          b.warnings.push(`ingress ${key} path ${p.path || '/'}: not a service backend; skipped (ingress-nginx only routes to Services)`);
          continue;
        }
        const nginxPath = p.path || '/';
        const pathType = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const svc = p.backend.service;
        const source = `ingress ${key}: ${pathType} ${nginxPath} -> service ${svc.name} port ${'number' in svc.port ? svc.port.number : svc.port.name}`;
        let addLoc = true;
        for (const loc of server.locations) {
          if (loc.path !== nginxPath) continue;
          if (loc.pathType !== pathType) break;
          addLoc = false;
          if (!loc.isDefBackend) {
            b.warnings.push(`${source}: location ${nginxPath} is already configured for host ${server.hostname} (${loc.source}); ignored`);
            break;
          }
          loc.action = serviceAction(b, ing.namespace, svc, source);
          loc.isDefBackend = false;
          loc.source = source;
          break;
        }
        if (addLoc) server.locations.push({ path: nginxPath, pathType, action: serviceAction(b, ing.namespace, svc, source), isDefBackend: false, source });
      }
    }
  }

  for (const server of servers.values()) {
    server.locations = updateServerLocations(server.locations);
    // sort.SliceStable by path descending, then by length descending.
    server.locations.sort((x, y) => (x.path > y.path ? -1 : x.path < y.path ? 1 : 0));
    server.locations.sort((x, y) => y.path.length - x.path.length);
    const seen = new Set<string>();
    server.locations = server.locations.filter((l) => {
      const k = `${l.pathType === 'Exact' ? '=' : ''}${l.path}`;
      if (seen.has(k)) {
        b.warnings.push(`host ${server.hostname}: duplicate location ${k} (${l.source}); nginx refuses duplicates, the first is kept`);
        return false;
      }
      seen.add(k);
      return true;
    });
  }
  return [...servers.values()].sort((x, y) => (x.hostname < y.hostname ? -1 : x.hostname > y.hostname ? 1 : 0));
}

/** extractTLSSecretName: the TLS entry listing the host. ingress-nginx then falls back to a
 * certificate whose SAN covers the host; certificates are only paths here, so an entry
 * without hosts is taken to cover every host of its Ingress. */
function tlsSecretName(host: string, ing: Ingress): string | undefined {
  const lc = host.toLowerCase();
  for (const t of ing.tls) if (t.hosts.some((h) => h.toLowerCase() === lc)) return t.secretName;
  for (const t of ing.tls) if (t.hosts.length === 0 && t.secretName) return t.secretName;
  return undefined;
}

/** location.go updateServerLocations. */
function updateServerLocations(locations: IngLocation[]): IngLocation[] {
  const exact = new Set(locations.filter((l) => l.pathType === 'Exact').map((l) => l.path));
  const out: IngLocation[] = [];
  for (const loc of locations) {
    if (loc.path === '/' || loc.pathType !== 'Prefix') {
      out.push(loc);
      continue;
    }
    const normalized = loc.path.endsWith('/') ? loc.path : `${loc.path}/`;
    out.push({ ...loc, path: normalized });
    if (!exact.has(loc.path)) out.push({ ...loc, pathType: 'Exact' });
  }
  return out;
}

// ---- Gateway API ----------------------------------------------------------------------------------

interface GwServer {
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
  if (ns !== gw.namespace) b.warnings.push(`gateway ${gw.namespace}/${gw.name} listener ${l.name}: certificate ${ns}/${ref.name} is in another namespace (needs a ReferenceGrant, assumed present)`);
  return b.input.certs[`${ns}/${ref.name}`];
}

function planGateways(b: Builder, portSsl: Map<number, boolean>): GwServer[] {
  const { input } = b;
  let gateways = input.gateways;
  if (input.controllerName && input.gatewayClasses) {
    const ours = new Set(input.gatewayClasses.filter((c) => c.controllerName === input.controllerName).map((c) => c.name));
    for (const g of gateways) if (!ours.has(g.gatewayClassName)) b.warnings.push(`gateway ${g.namespace}/${g.name}: class ${g.gatewayClassName} is not handled by ${input.controllerName}; ignored`);
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
      if (attached === 0) b.warnings.push(`${rkey}: no listener of gateway ${ns}/${ref.name} accepts it (sectionName/port, allowedRoutes, protocol or hostname); not attached`);
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
    if (!b.upstreams.has(name)) b.upstreams.set(name, { name, servers: g.members.map((address) => ({ address })), comments: [`service ${route.namespace}/${ref.name} port ${ref.port}`] });
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

function gatewayLocations(b: Builder, s: GwServer, actions: Map<HTTPRouteRule, LocationAction>): PlanLocation[] {
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
          b.warnings.push(`httproute ${route.namespace}/${route.name} rule ${ri} match ${mi}: header ${bad.name} cannot be matched by nginx (letters, digits and "-" only; nginx drops headers with "_"); this match never applies`);
          return;
        }
        const exact = m.path.type === 'Exact';
        const value = exact || m.path.value === '/' ? m.path.value : m.path.value.replace(/\/+$/, '') || '/';
        matches.push({ exact, value, headers: m.headers, action: action!, order: [routeIndex, ri, mi], source: `httproute ${route.namespace}/${route.name} rule ${ri} match ${mi}: ${m.path.type} ${m.path.value}${m.headers.map((h) => ` ${h.name}=${h.value}`).join('')}` });
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
    Number(y.exact) - Number(x.exact) || y.value.length - x.value.length || y.headers.length - x.headers.length || x.order[0] - y.order[0] || x.order[1] - y.order[1] || x.order[2] - y.order[2];
  const locations: PlanLocation[] = [];
  for (const { exact, path } of keys.values()) {
    // The request paths reaching this location: exactly `path`, or (prefix) those under it.
    const candidates = matches
      .filter((m) => (m.exact ? exact && m.value === path : exact ? prefixCovers(m.value, path) : prefixCovers(m.value, path === '/' ? '/' : path.slice(0, -1))))
      .sort(precedence);
    locations.push({ exact, path, candidates: candidates.map((m) => ({ headers: m.headers, action: m.action, source: m.source })) });
  }
  locations.sort((x, y) => y.path.length - x.path.length || (x.path > y.path ? -1 : x.path < y.path ? 1 : 0) || Number(y.exact) - Number(x.exact));
  return locations;
}

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
    if (!isDefault || !gwCatchAll.has(443)) if (isDefault || s.cert || input.defaultCertificate) listens.push({ port: 443, ssl: true, defaultServer: isDefault });
    if (isDefault && listens.length < 2) b.warnings.push(`a Gateway listener without hostname owns the default server of port ${gwCatchAll.has(80) ? 80 : 443}; the Ingress catch-all server does not listen there`);
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

// ---- rendering -----------------------------------------------------------------------------------------

const LOG_FORMAT_UPSTREAM =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id';

const SSL_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256';

function actionTarget(a: LocationAction): string {
  return a.kind === 'proxy' ? a.upstream : `!${a.status}`;
}

function renderLocation(loc: PlanLocation): string[] {
  const I = '            ';
  const out = [`        location ${loc.exact ? '= ' : ''}${nginxQuote(loc.path)} {`];
  for (const c of loc.candidates) out.push(`${I}# ${c.source}`);
  // Candidates below the first one without headers can never win.
  const firstPlain = loc.candidates.findIndex((c) => c.headers.length === 0);
  const live = firstPlain < 0 ? loc.candidates : loc.candidates.slice(0, firstPlain + 1);
  if (live.length === 0) {
    out.push(`${I}set $proxy_upstream_name "-";`, `${I}return 404;`, '        }');
    return out;
  }
  if (live.length === 1 && live[0].headers.length === 0) {
    const a = live[0].action;
    if (a.kind === 'return') out.push(`${I}set $proxy_upstream_name ${nginxQuote(a.status === 404 ? DEFAULT_UPSTREAM : '-')};`, `${I}return ${a.status};`);
    else out.push(`${I}set $proxy_upstream_name ${nginxQuote(a.upstream)};`, `${I}proxy_pass http://${a.upstream};`);
    out.push('        }');
    return out;
  }
  // Header matches: evaluate from the lowest precedence up, each match overriding the target,
  // with only rewrite-module directives inside `if` (the safe use of if in a location).
  const hasFallback = firstPlain >= 0;
  if (!hasFallback) out.push(`${I}set $wl_target "";`);
  for (const c of [...live].reverse()) {
    const target = actionTarget(c.action);
    if (c.headers.length === 0) {
      out.push(`${I}set $wl_target ${nginxQuote(target)};`);
      continue;
    }
    const vars = c.headers.map((h) => ({ h, v: headerVariable(h.name)! }));
    if (c.headers.length === 1) {
      out.push(`${I}if (${vars[0].v} = ${quoteValue(c.headers[0].value)}) { set $wl_target ${nginxQuote(target)}; }`);
      continue;
    }
    out.push(`${I}set $wl_hits "";`);
    for (const { h, v } of vars) out.push(`${I}if (${v} = ${quoteValue(h.value)}) { set $wl_hits "\${wl_hits}x"; }`);
    out.push(`${I}if ($wl_hits = "${'x'.repeat(c.headers.length)}") { set $wl_target ${nginxQuote(target)}; }`);
  }
  out.push(`${I}set $proxy_upstream_name $wl_target;`);
  if (!hasFallback) out.push(`${I}if ($wl_target = "") { return 404; }`);
  const statuses = [...new Set(live.filter((c) => c.action.kind === 'return').map((c) => (c.action as { status: number }).status))].sort();
  for (const st of statuses) out.push(`${I}if ($wl_target = "!${st}") { return ${st}; }`);
  if (live.some((c) => c.action.kind === 'proxy')) out.push(`${I}proxy_pass http://$wl_target;`);
  else out.push(`${I}return 404;`);
  out.push('        }');
  return out;
}

function renderServer(s: PlanServer): string[] {
  const out = [`    ## start server ${s.hostname} (${s.origin})`, '    server {'];
  out.push(`        server_name ${s.serverNames.map(nginxQuote).join(' ')};`);
  for (const l of s.listens) out.push(`        listen ${l.port}${l.defaultServer ? ' default_server' : ''}${l.ssl ? ' ssl' : ''};`);
  out.push('', '        set $proxy_upstream_name "-";', '        set $proxy_alternative_upstream_name "";');
  if (s.listens.some((l) => l.ssl)) {
    if (s.rejectHandshake) out.push('        # no certificate for unknown names: refuse TLS (ingress-nginx would present its fake certificate)', '        ssl_reject_handshake on;');
    else if (s.cert) out.push(`        ssl_certificate ${s.cert.cert};`, `        ssl_certificate_key ${s.cert.key};`);
  }
  if (s.sslRedirect) {
    out.push('        # ssl-redirect (lua_ingress.lua redirect_to_https): http -> https, 308');
    out.push('        if ($scheme = "http") { return 308 https://$host$redirect_uri_no_slash; }');
  }
  out.push('');
  for (const loc of s.locations) out.push(...renderLocation(loc), '');
  out.push('    }', `    ## end server ${s.hostname}`, '');
  return out;
}

/** The longest server name decides server_names_hash_bucket_size (a power of two, >= 64). */
function bucketSize(plan: NginxPlan): number {
  const longest = Math.max(0, ...plan.servers.flatMap((s) => s.serverNames.map((n) => n.length)));
  let size = 64;
  while (size < longest + 2) size *= 2;
  return size;
}

/** nginx.conf from an already computed plan. */
export function renderPlan(plan: NginxPlan, input: Pick<NginxConfInput, 'stateDir' | 'defaultCertificate'>): string {
  const dir = input.stateDir.replace(/\/$/, '');
  const warnings = plan.warnings;
  const body: string[] = [];
  for (const s of plan.servers) body.push(...renderServer(s));
  const out: string[] = [
    '# Generated by wirelab src/plan/ingress/nginx-conf.ts, following ingress-nginx nginx.tmpl.',
    `# Run as root in the ingress namespace: nginx -c <this file> -g 'daemon off;'`,
    '# worker_processes 1: one smooth weighted round robin state, so the backend sequence is deterministic.',
    'user root;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log notice;`,
    '',
    'events {',
    '    worker_connections 1024;',
    '    multi_accept on;',
    '}',
    '',
    'http {',
    `    client_body_temp_path ${dir}/client-body;`,
    `    proxy_temp_path ${dir}/proxy-temp;`,
    `    fastcgi_temp_path ${dir}/fastcgi-temp;`,
    `    uwsgi_temp_path ${dir}/uwsgi-temp;`,
    `    scgi_temp_path ${dir}/scgi-temp;`,
    '',
    '    sendfile on;',
    '    tcp_nopush on;',
    '    tcp_nodelay on;',
    '    reset_timedout_connection on;',
    '    keepalive_timeout 75s;',
    '    keepalive_requests 1000;',
    '    client_max_body_size 1m;',
    '    server_tokens off;',
    '    server_names_hash_max_size 1024;',
    `    server_names_hash_bucket_size ${bucketSize(plan)};`,
    '    underscores_in_headers off;',
    '    ignore_invalid_headers on;',
    '    default_type text/html;',
    '',
    `    log_format upstreaminfo '${LOG_FORMAT_UPSTREAM}';`,
    `    access_log ${dir}/access.log upstreaminfo;`,
    `    error_log ${dir}/error.log notice;`,
    '',
    '    map $http_upgrade $connection_upgrade {',
    '        default upgrade;',
    "        ''      '';",
    '    }',
    '    map $http_x_request_id $req_id {',
    '        default $http_x_request_id;',
    '        ""      $request_id;',
    '    }',
    '    # ingress-nginx sets these per location ($best_http_host = $http_host, ...).',
    '    map $http_host $best_http_host { default $http_host; }',
    '    map $scheme $pass_access_scheme { default $scheme; }',
    '    map $server_port $pass_port { default $server_port; }',
    '    map $request_uri $redirect_uri_no_slash {',
    '        "~^(?<wl_uri>.*)/$" $wl_uri;',
    '        default $request_uri;',
    '    }',
    '    geo $literal_dollar { default "$"; }',
    '',
    '    server_name_in_redirect off;',
    '    port_in_redirect off;',
    '',
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:SSL:10m;',
    '    ssl_session_timeout 10m;',
    '    ssl_session_tickets off;',
    '    ssl_buffer_size 4k;',
    `    ssl_ciphers '${SSL_CIPHERS}';`,
    '    ssl_prefer_server_ciphers on;',
    '    ssl_ecdh_curve auto;',
    ...(input.defaultCertificate ? [`    ssl_certificate ${input.defaultCertificate.cert};`, `    ssl_certificate_key ${input.defaultCertificate.key};`] : []),
    '',
    '    proxy_set_header Host $best_http_host;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Connection $connection_upgrade;',
    '    proxy_set_header X-Request-ID $req_id;',
    '    proxy_set_header X-Real-IP $remote_addr;',
    '    proxy_set_header X-Forwarded-For $remote_addr;',
    '    proxy_set_header X-Forwarded-Host $best_http_host;',
    '    proxy_set_header X-Forwarded-Port $pass_port;',
    '    proxy_set_header X-Forwarded-Proto $pass_access_scheme;',
    '    proxy_set_header X-Forwarded-Scheme $pass_access_scheme;',
    '    proxy_set_header X-Scheme $pass_access_scheme;',
    '    proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;',
    '    proxy_set_header X-Original-Forwarded-Host $http_x_forwarded_host;',
    '    proxy_set_header Proxy "";',
    '    proxy_connect_timeout 5s;',
    '    proxy_send_timeout 60s;',
    '    proxy_read_timeout 60s;',
    '    proxy_buffering off;',
    '    proxy_buffer_size 4k;',
    '    proxy_buffers 4 4k;',
    '    proxy_max_temp_file_size 1024m;',
    '    proxy_request_buffering on;',
    '    proxy_http_version 1.1;',
    '    proxy_cookie_domain off;',
    '    proxy_cookie_path off;',
    '    proxy_redirect off;',
    '    proxy_next_upstream error timeout;',
    '    proxy_next_upstream_timeout 0;',
    '    proxy_next_upstream_tries 3;',
    '',
  ];
  for (const u of plan.upstreams) {
    out.push(`    upstream ${u.name} {`);
    for (const c of u.comments) out.push(`        # ${c}`);
    for (const s of u.servers) out.push(`        server ${s.address}${s.weight !== undefined ? ` weight=${s.weight}` : ''} max_fails=0;`);
    out.push(`        # ${UPSTREAM_KEEPALIVE_COMMENT}`, '        keepalive 320;', '        keepalive_time 1h;', '        keepalive_timeout 60s;', '        keepalive_requests 10000;', '    }', '');
  }
  for (const { status, path } of plan.statusSockets) {
    out.push(`    # answers ${status} for the share of an invalid backendRef (Gateway API)`, '    server {', `        listen unix:${path};`, '        set $proxy_upstream_name "internal";', '        set $proxy_alternative_upstream_name "";', `        location / { return ${status}; }`, '    }', '');
  }
  out.push(...body);
  out.push('}', '');
  if (warnings.length > 0) out.push(...warnings.map((w) => `# warning: ${w}`), '');
  return out.join('\n');
}

/** The nginx.conf for these Ingresses, Gateways and HTTPRoutes (see planNginx for the model). */
export function renderNginxConf(input: NginxConfInput): string {
  return renderPlan(planNginx(input), input);
}
