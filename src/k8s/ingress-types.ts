// networking.k8s.io/v1 Ingress and gateway.networking.k8s.io/v1 GatewayClass, Gateway and
// HTTPRoute as parsed (./ingress.ts): every API default filled in, nothing resolved yet. Plain
// data, no I/O. plan/ingress/nginx-conf.ts turns them, with the model's Services and
// EndpointSlices, into an nginx.conf the way ingress-nginx does.

/** A problem in a manifest: the path is relative to the manifest (like src/k8s/manifest.ts). */
export interface IngressProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

// ---- networking.k8s.io/v1 Ingress ------------------------------------------------------------

export const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'] as const;
export type PathType = (typeof PATH_TYPES)[number];

/** IngressServiceBackend: exactly one of port.number and port.name. */
export interface IngressServiceBackend {
  name: string;
  port: { number: number } | { name: string };
}

/** IngressBackend: a Service, or a resource (TypedLocalObjectReference) that ingress-nginx skips. */
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  /** As written; "" is allowed for ImplementationSpecific (ingress-nginx then uses "/"). */
  path: string;
  pathType: PathType;
  backend: IngressBackend;
}

export interface IngressRule {
  /** "" (or absent) for a rule that applies to every host. */
  host: string;
  /** Absent: the rule only names a host (it then gets the default backend). */
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts: string[];
  secretName?: string;
}

export interface Ingress {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  rules: IngressRule[];
  tls: IngressTLS[];
}

// ---- gateway.networking.k8s.io/v1 --------------------------------------------------------------

export interface GatewayClass {
  name: string;
  controllerName: string;
}

export const LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

/** SecretObjectReference (group "" and kind Secret are the defaults). */
export interface SecretRef {
  group: string;
  kind: string;
  name: string;
  /** Absent: the Gateway's namespace. */
  namespace?: string;
}

export interface Listener {
  name: string;
  protocol: ListenerProtocol;
  port: number;
  hostname?: string;
  tls?: { mode: 'Terminate' | 'Passthrough'; certificateRefs: SecretRef[] };
  /** allowedRoutes.namespaces.from; the API default is Same. */
  allowedRoutesFrom: 'Same' | 'All' | 'Selector';
}

export interface Gateway {
  name: string;
  namespace: string;
  gatewayClassName: string;
  listeners: Listener[];
}

/** ParentReference with its defaults (group gateway.networking.k8s.io, kind Gateway). */
export interface ParentRef {
  group: string;
  kind: string;
  name: string;
  /** Absent: the route's namespace. */
  namespace?: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPPathMatch {
  type: 'PathPrefix' | 'Exact';
  value: string;
}

export interface HTTPHeaderMatch {
  name: string;
  value: string;
  type: 'Exact';
}

export interface HTTPRouteMatch {
  /** Defaults to PathPrefix "/". */
  path: HTTPPathMatch;
  headers: HTTPHeaderMatch[];
}

/** HTTPBackendRef (BackendObjectReference + weight); group "" and kind Service by default. */
export interface HTTPBackendRef {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
  /** 0..1000000, default 1. */
  weight: number;
}

export interface HTTPRouteRule {
  /** Defaults to one PathPrefix "/" match. */
  matches: HTTPRouteMatch[];
  backendRefs: HTTPBackendRef[];
}

export interface HTTPRoute {
  name: string;
  namespace: string;
  parentRefs: ParentRef[];
  hostnames: string[];
  rules: HTTPRouteRule[];
}
