// The ingress controller pods of a lab: the certificates their TLS entries need, and nginx's
// configuration for them (rendered by nginx-conf.ts). An "ingress-nginx" controller serves the
// Ingresses of its class; an NGINX Gateway controller serves the HTTPRoutes attached to Gateways
// of its GatewayClass.
import type { ClusterModel, Container } from '../../model/types.js';
import { labStateDir } from '../../model/names.js';
import { renderNginxConf } from './nginx-conf.js';
import type { CertFiles } from './types.js';

export const certPath = (namespace: string, secret: string) => `certs/${namespace}/${secret}`;

/** Where each Secret's certificate and key are written, by "namespace/name". */
export function certFiles(model: Pick<ClusterModel, 'lab' | 'secrets'>): Record<string, CertFiles> {
  const state = labStateDir(model.lab);
  const out: Record<string, CertFiles> = {};
  for (const s of model.secrets)
    out[`${s.namespace}/${s.name}`] = { cert: `${state}/${certPath(s.namespace, s.name)}.crt`, key: `${state}/${certPath(s.namespace, s.name)}.key` };
  return out;
}

/** The certificate a client verifies a TLS server name against: the generated one that covers
 * the host (self-signed, so it is its own CA). */
export function caFileFor(model: Pick<ClusterModel, 'lab' | 'secrets'>, host: string): string | undefined {
  const s = model.secrets.find((x) => x.generate && x.hosts.includes(host));
  return s ? certFiles(model)[`${s.namespace}/${s.name}`].cert : undefined;
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

/** `certs`: where each Secret's certificate is (default: the files `lab up` generated). */
export function nginxConfFor(model: ClusterModel, c: Container, stateDir: string, certs: Record<string, CertFiles> = certFiles(model)): string {
  const o = model.ingress;
  const kind = controllerKind(c.image)!;
  return renderNginxConf({
    stateDir,
    ingresses: kind === 'ingress-nginx' ? o.ingresses : [],
    gateways: kind === 'nginx-gateway' ? o.gateways : [],
    httpRoutes: kind === 'nginx-gateway' ? o.httpRoutes : [],
    services: model.services,
    endpointSlices: model.endpointSlices,
    certs,
    ingressClass: ingressClassOf(c),
  });
}
