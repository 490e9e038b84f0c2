// The ingress controller pods of a lab: which Ingress / Gateway API objects each serves, the
// certificates their TLS entries need, and nginx's configuration for them (rendered by
// nginx-conf.ts). An "ingress-nginx" controller serves the Ingresses of its class; an NGINX
// Gateway controller serves the HTTPRoutes attached to Gateways of its GatewayClass.
import type { ClusterModel, Container, Pod } from '../../model/types.js';
import { labStateDir } from '../../model/names.js';
import { parseIngressApiManifest } from '../../k8s/ingress.js';
import type { Gateway, GatewayClass, HTTPRoute, Ingress } from '../../k8s/ingress-types.js';
import { renderNginxConf } from './nginx-conf.js';

export interface IngressObjects {
  ingresses: Ingress[];
  gatewayClasses: GatewayClass[];
  gateways: Gateway[];
  httpRoutes: HTTPRoute[];
}

export function ingressObjects(model: ClusterModel): IngressObjects {
  const out: IngressObjects = { ingresses: [], gatewayClasses: [], gateways: [], httpRoutes: [] };
  for (const m of model.ingressObjects) {
    const o = parseIngressApiManifest(m).object;
    if (o?.kind === 'Ingress') out.ingresses.push(o.ingress);
    else if (o?.kind === 'GatewayClass') out.gatewayClasses.push(o.gatewayClass);
    else if (o?.kind === 'Gateway') out.gateways.push(o.gateway);
    else if (o?.kind === 'HTTPRoute') out.httpRoutes.push(o.httpRoute);
  }
  return out;
}

export const certPath = (namespace: string, secret: string) => `certs/${namespace}/${secret}`;

/** Host names each TLS secret must cover: the Ingress tls entries and Gateway HTTPS listeners
 * that name it. */
export function secretHosts(model: ClusterModel): Map<string, string[]> {
  const o = ingressObjects(model);
  const hosts = new Map<string, Set<string>>();
  const add = (key: string, h: string[]) => {
    if (!hosts.has(key)) hosts.set(key, new Set());
    for (const x of h) hosts.get(key)!.add(x);
  };
  for (const ing of o.ingresses) for (const t of ing.tls) if (t.secretName) add(`${ing.namespace}/${t.secretName}`, t.hosts);
  for (const g of o.gateways) for (const l of g.listeners) for (const ref of l.tls?.certificateRefs ?? []) add(`${ref.namespace ?? g.namespace}/${ref.name}`, l.hostname ? [l.hostname] : []);
  return new Map([...hosts].map(([k, v]) => [k, [...v].sort()]));
}

export function certFiles(model: ClusterModel): Record<string, { cert: string; key: string }> {
  const state = labStateDir(model.lab);
  const out: Record<string, { cert: string; key: string }> = {};
  for (const s of model.secrets) out[`${s.namespace}/${s.name}`] = { cert: `${state}/${certPath(s.namespace, s.name)}.crt`, key: `${state}/${certPath(s.namespace, s.name)}.key` };
  return out;
}

export type ControllerKind = 'ingress-nginx' | 'nginx-gateway';

export function controllerKind(image: string): ControllerKind | undefined {
  if (/(^|\/)ingress-nginx\/controller(:|@|$)/.test(image)) return 'ingress-nginx';
  if (/(^|\/)nginx-gateway-fabric(\/nginx)?(:|@|$)/.test(image)) return 'nginx-gateway';
  return undefined;
}

/** --ingress-class=<name> as the controller is started with (ingress-nginx's default: nginx). */
export function ingressClassOf(c: Container): string {
  const a = c.args.find((x) => x.startsWith('--ingress-class='));
  return a ? a.slice('--ingress-class='.length) : 'nginx';
}

export function nginxConfFor(model: ClusterModel, pod: Pod, c: Container, stateDir: string): string {
  const o = ingressObjects(model);
  const kind = controllerKind(c.image)!;
  return renderNginxConf({
    stateDir,
    ingresses: kind === 'ingress-nginx' ? o.ingresses : [],
    gateways: kind === 'nginx-gateway' ? o.gateways : [],
    httpRoutes: kind === 'nginx-gateway' ? o.httpRoutes : [],
    services: model.services,
    endpointSlices: model.endpointSlices,
    certs: certFiles(model),
    ingressClass: ingressClassOf(c),
  });
}
