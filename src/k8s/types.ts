// Kubernetes objects as a lab file (or, later, the API) gives them: the fields wirelab acts on,
// with the API server's defaults filled in. The model (src/model) adds what allocation decides.
import type { Probe } from './probe.js';

/** A manifest before its kind's parser read it: apiVersion, kind and metadata checked, the rest
 * as written. */
export interface RawManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface Container {
  name: string;
  image: string;
  /** The image's entrypoint replaced (Kubernetes' `command`); absent: the image's own. */
  command?: string[];
  args: string[];
  ports: ContainerPort[];
  volumeMounts: { name: string; mountPath: string }[];
  /** What kubelet probes before the container counts as ready (absent: ready once running). */
  readinessProbe?: Probe;
}

/** A pod volume; only ConfigMap volumes carry files here (CoreDNS's Corefile). */
export interface Volume {
  name: string;
  configMap?: string;
}

export interface ConfigMap {
  name: string;
  namespace: string;
  data: Record<string, string>;
}

/** Pod.spec.dnsConfig. */
export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

/** A MetalLB IPAddressPool (metallb.io/v1beta1), as address ranges. */
export interface AddressPool {
  name: string;
  /** Inclusive [first, last] IPv4 ranges, in the pool's order. */
  ranges: [string, string][];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  /** Port name; "" when the service has a single unnamed port. */
  name: string;
  protocol: Protocol;
  port: number;
  /** Number or the name of a container port. */
  targetPort: number | string;
  /** Allocated (or given) for NodePort and LoadBalancer services. */
  nodePort?: number;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

/** A v1 Service as written (and defaulted as the API server defaults it). */
export interface ServiceManifest {
  name: string;
  namespace: string;
  type: ServiceType;
  /** "None" for headless services; undefined for ExternalName. */
  clusterIP?: string;
  selector?: Record<string, string>;
  ports: ServicePort[];
  sessionAffinity: 'None' | 'ClientIP';
  /** service.spec.sessionAffinityConfig.clientIP.timeoutSeconds (default 10800). */
  affinityTimeoutSeconds: number;
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** status.loadBalancer.ingress[].ip (or spec.loadBalancerIP / externalIPs as given). */
  loadBalancerIPs: string[];
  externalIPs: string[];
  /** spec.loadBalancerSourceRanges, as written. */
  loadBalancerSourceRanges?: string[];
  externalName?: string;
}

/** A v1 ConfigMap (CoreDNS's Corefile). */
export interface ConfigMapManifest {
  name: string;
  namespace: string;
  data: Record<string, string>;
}

/** A v1 Secret; kubernetes.io/tls ones can ask the harness for a generated certificate. */
export interface SecretManifest {
  name: string;
  namespace: string;
  type: string;
  generate: boolean;
}

/** A v1 Namespace and its labels. */
export interface NamespaceManifest {
  name: string;
  labels: Record<string, string>;
}

/** A Calico IPPool (crd.projectcalico.org/v1 or projectcalico.org/v3). */
export interface CalicoIPPoolManifest {
  name: string;
  cidr: string;
  blockSize: number;
  ipipMode: string;
}
