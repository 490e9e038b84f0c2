// Ingresses (networking.k8s.io/v1) -> nginx servers and locations, as kubernetes/ingress-nginx
// (commit dbb11b92, 2026-03) builds them:
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
import { INGRESS_CLASS_ANNOTATION } from '../../k8s/ingress.js';
import type { Ingress } from '../../k8s/ingress-types.js';
import type { CertFiles } from './types.js';
import { DEFAULT_SERVER, type LocationAction } from './nginx-plan.js';
import { serviceAction, type Builder } from './nginx-upstreams.js';

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

export const DEFAULT_404: LocationAction = { kind: 'return', status: 404 };

export function planIngresses(b: Builder): IngServer[] {
  const { input } = b;
  const ings = input.ingresses.filter((i) => ingressClassMatches(i, input.ingressClass, input.watchIngressWithoutClass));
  for (const i of input.ingresses)
    if (!ings.includes(i))
      b.warnings.push(
        `ingress ${i.namespace}/${i.name}: class ${i.ingressClassName ?? i.annotations[INGRESS_CLASS_ANNOTATION] ?? '(none)'} is not ${input.ingressClass}; ignored`,
      );
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
      servers.set(host, {
        hostname: host,
        locations: [{ path: '/', pathType: 'Prefix', action: un, isDefBackend: true, source: unSource }],
        ownCert: false,
        certSet: false,
      });
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
        b.warnings.push(
          `ingress ${ing.namespace}/${ing.name}: no certificate for secret ${ing.namespace}/${secret}; host ${server.hostname} uses the default certificate`,
        );
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
