// What the nginx.conf renderer takes: the Ingress / Gateway API objects, the Services and
// EndpointSlices they route to, and where the TLS certificates are.
import type { EndpointSlice, Service } from '../../model/types.js';
import type { Gateway, GatewayClass, HTTPRoute, Ingress } from '../../k8s/ingress-types.js';

/** Paths of PEM files (a kubernetes.io/tls Secret written out). */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface NginxConfInput {
  /** Every file nginx writes (pid, logs, temp directories) lives under this directory. */
  stateDir: string;
  /** In creation order (ingress-nginx sorts Ingresses by creationTimestamp). */
  ingresses: Ingress[];
  gateways: Gateway[];
  /** In creation order (the Gateway API's tie-break between routes). */
  httpRoutes: HTTPRoute[];
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** "namespace/secretName" -> PEM file paths. */
  certs: Record<string, CertFiles>;
  /** Only Ingresses of this class are rendered, e.g. "nginx". */
  ingressClass: string;
  /** Also take Ingresses without any class (ingress-nginx --watch-ingress-without-class). */
  watchIngressWithoutClass?: boolean;
  /** With controllerName: only Gateways whose GatewayClass names this controller. */
  gatewayClasses?: GatewayClass[];
  controllerName?: string;
  /** ingress-nginx's --default-ssl-certificate (it generates a fake one when unset). Without it,
   * hosts with no TLS entry do not listen on 443 and the default server rejects the handshake. */
  defaultCertificate?: CertFiles;
  /** ingress-nginx ssl-redirect (default true): 308 from http to https for hosts with a TLS cert. */
  sslRedirect?: boolean;
}
