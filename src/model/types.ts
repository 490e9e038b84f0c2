// The resolved cluster: complete objects with every default filled in and every address
// allocated. Plain data, no back-references, no I/O; each later stage reads only this.

export type NodeRole = 'control-plane' | 'worker';

export interface Underlay {
  cidr: string;
  prefix: number;
  mtu: number;
}

export interface ClusterNetwork {
  podCIDR: string;
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  clusterDomain: string;
  /** kubelet --cluster-dns: kubeadm's default is the 10th address of the service network. */
  clusterDNS: string;
  cni: string;
}

export interface Node {
  name: string;
  role: NodeRole;
  /** Address on the underlay (the node's eth0). */
  ip: string;
  /** This node's pod range (Node.spec.podCIDR). */
  podCIDR: string;
  /** How podCIDR was chosen: pinned in the lab file, or allocated in order like the node IPAM controller. */
  podCIDRSource: 'pinned' | 'allocated';
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface Container {
  name: string;
  image: string;
  args: string[];
  ports: ContainerPort[];
  volumeMounts: { name: string; mountPath: string }[];
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

export interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  nodeName: string;
  ip: string;
  ipSource: 'pinned' | 'allocated';
  /** Passing its readiness probe: only ready pods are service endpoints. */
  ready: boolean;
  dnsPolicy: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  dnsConfig?: PodDNSConfig;
  containers: Container[];
  volumes: Volume[];
}

/** Pod.spec.dnsConfig. */
export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

/** A machine on the underlay outside the cluster: an external client, or the router to the
 * "internet" (a few hosts behind it, so pod -> internet SNAT is visible without real internet). */
export interface ExternalHost {
  name: string;
  ip: string;
  kind: 'client' | 'router' | 'internet' | 'dns';
  /** kind dns: the A records it serves. */
  records?: Record<string, string>;
}

export interface Internet {
  /** The router's address on the underlay: the nodes' default gateway. */
  gateway: string;
  cidr: string;
  /** The router's address inside the internet range. */
  routerInternetIp: string;
}

export type KubeProxyMode = 'iptables' | 'ipvs' | 'none';

/** A MetalLB IPAddressPool (metallb.io/v1beta1), as address ranges. */
export interface AddressPool {
  name: string;
  /** Inclusive [first, last] IPv4 ranges, in the pool's order. */
  ranges: [string, string][];
}

/** Which node answers ARP for a LoadBalancer IP (MetalLB L2 mode). */
export interface L2Announcement {
  ip: string;
  node: string;
  service: string;
}

export interface ClusterModel {
  lab: string;
  description: string;
  underlay: Underlay;
  network: ClusterNetwork;
  kubeProxy: KubeProxyMode;
  externals: ExternalHost[];
  internet?: Internet;
  addressPools: AddressPool[];
  announcements: L2Announcement[];
  /** In lab-file order. */
  nodes: Node[];
  /** Sorted by namespace/name. */
  pods: Pod[];
  /** Sorted by namespace/name. */
  services: Service[];
  /** One per service with a selector, same order as services. */
  endpointSlices: EndpointSlice[];
  configMaps: ConfigMap[];
  /** Every namespace in use (and the system ones), with its labels, which always include
   * kubernetes.io/metadata.name (set by the API server since 1.21). */
  namespaces: { name: string; labels: Record<string, string> }[];
  /** networking.k8s.io/v1 NetworkPolicy objects as written (parsed by src/policy). */
  networkPolicies: unknown[];
  /** Ingress and Gateway API objects as written (parsed by src/ingress). */
  ingressObjects: unknown[];
  /** Secrets (TLS certificates the harness generates when asked). */
  secrets: { name: string; namespace: string; type: string; generate: boolean }[];
  /** Calico IPAM blocks and the node each is affine to (Calico pod networks only). */
  calicoBlocks?: { cidr: string; node: string }[];
  /** Calico IP-in-IP: each node's tunl0 address (from IPAM, before its pods). */
  calicoTunnels?: Record<string, string>;
  /** Things in the lab file worth a word that do not stop it (paths into the lab file). */
  warnings: { path: (string | number)[]; message: string; fix?: string }[];
}

// ---- Services (issue 3) -------------------------------------------------------------------

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

export interface Service {
  name: string;
  namespace: string;
  type: ServiceType;
  /** "None" for headless services; undefined for ExternalName. */
  clusterIP?: string;
  clusterIPSource?: 'given' | 'allocated';
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
  externalName?: string;
  /** Health check node port for LoadBalancer with externalTrafficPolicy: Local. */
  healthCheckNodePort?: number;
}

export interface Endpoint {
  /** Pod address. */
  ip: string;
  podName: string;
  nodeName: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface EndpointPort {
  name: string;
  protocol: Protocol;
  /** The resolved container port (targetPort by number or by container port name). */
  port: number;
}

/** discovery.k8s.io/v1 EndpointSlice, one per service (the model never needs more). */
export interface EndpointSlice {
  name: string;
  namespace: string;
  serviceName: string;
  ports: EndpointPort[];
  endpoints: Endpoint[];
}
