// Backends of the nginx plan: a Service port's endpoints, upstream blocks and names, the internal
// status sockets, and small nginx syntax helpers.
//
// What is matched in kubernetes/ingress-nginx (commit dbb11b92, 2026-03):
// - endpointslices.go getEndpointsFromSlices and controller.go serviceEndpoints: the service
//   port is the one whose port, targetPort or name equals the Ingress port; the endpoint port is
//   the EndpointSlice port of the same name (the only one when the service port has no name;
//   else a numeric targetPort); TCP only; endpoints whose ready condition is false are
//   skipped; pod IP:port, never the ClusterIP (service-upstream is off by default).
// - template.go buildServerName (a wildcard host becomes ~^(?<subdomain>[\w-]+)\.example\.com$),
//   sanitizeQuotedRegex (quoted strings); util.go upstreamName (namespace-service-port).
import type { EndpointSlice, Service, ServicePort } from '../../model/types.js';
import type { IngressServiceBackend } from '../../k8s/ingress-types.js';
import type { NginxConfInput } from './types.js';
import type { LocationAction, PlanUpstream } from './nginx-plan.js';

// ---- small helpers --------------------------------------------------------------------------------

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** A double-quoted nginx string with backslashes and quotes escaped (sanitizeQuotedRegex). */
export function nginxQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A quoted string in a context where nginx expands variables: "$" via $literal_dollar. */
export function quoteValue(s: string): string {
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
export function resolveEndpoints(
  services: Service[],
  slices: EndpointSlice[],
  namespace: string,
  name: string,
  portKey: string,
  strictNumber = false,
): Resolution {
  const service = services.find((s) => s.namespace === namespace && s.name === name);
  if (!service) return { ok: false, reason: `service ${namespace}/${name} not found` };
  if (service.type === 'ExternalName') return { ok: false, reason: `service ${namespace}/${name} is ExternalName, which wirelab does not proxy to` };
  const servicePort = service.ports.find((p) =>
    strictNumber ? String(p.port) === portKey : String(p.port) === portKey || String(p.targetPort) === portKey || p.name === portKey,
  );
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

export interface Builder {
  input: NginxConfInput;
  upstreams: Map<string, PlanUpstream>;
  statusSockets: Map<number, string>;
  warnings: string[];
}

/** An upstream for a Service backend (shared by every location using it); a return when empty. */
export function serviceAction(b: Builder, namespace: string, svc: IngressServiceBackend, context: string): LocationAction {
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
  b.upstreams.set(name, {
    name,
    servers: r.servers.map((address) => ({ address })),
    comments: [
      `service ${namespace}/${svc.name} port ${r.servicePort.name || r.servicePort.port} (${r.servicePort.port} -> targetPort ${r.servicePort.targetPort})`,
    ],
  });
  return { kind: 'proxy', upstream: name };
}

export function statusSocket(b: Builder, status: number): string {
  let path = b.statusSockets.get(status);
  if (!path) {
    path = `${b.input.stateDir.replace(/\/$/, '')}/http-${status}.sock`;
    b.statusSockets.set(status, path);
  }
  return `unix:${path}`;
}
