// The resolved cluster: complete objects with every default filled in and every address
// allocated. Plain data, no back-references, no I/O; each later stage reads only this.

import type { AddressPool, ConfigMapManifest, Container, PodDNSConfig, Protocol, SecretManifest, ServiceManifest, Volume } from '../k8s/types.js';
import type { NetworkPolicy } from '../k8s/network-policy-types.js';
import type { PodNetworkKind } from './pod-networks.js';
import type { Gateway, GatewayClass, HTTPRoute, Ingress } from '../k8s/ingress-types.js';

export type { AddressPool, Container, ContainerPort, PodDNSConfig, Protocol, ServicePort, ServiceType, Volume } from '../k8s/types.js';

export type NodeRole = 'control-plane' | 'worker';

export interface Underlay {
  cidr: string;
  prefix: number;
  mtu: number;
  /** Delay and loss every switch port adds toward its node (tc netem). */
  netem?: { delay?: string; loss?: string };
}

export interface ClusterNetwork {
  podCIDR: string;
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  clusterDomain: string;
  /** kubelet --cluster-dns: kubeadm's default is the 10th address of the service network. */
  clusterDNS: string;
  cni: PodNetworkKind;
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

/** What a pod's /etc/resolv.conf says (kubelet's GetPodDNS for its dnsPolicy). */
export interface ResolverConfig {
  nameservers: string[];
  searches: string[];
  /** "ndots:5", "edns0", ... */
  options: string[];
}

/** The Ingress and Gateway API objects of a cluster. */
export interface IngressObjects {
  ingresses: Ingress[];
  gatewayClasses: GatewayClass[];
  gateways: Gateway[];
  httpRoutes: HTTPRoute[];
}

/** A Secret; a kubernetes.io/tls one the harness generates covers the hosts of the Ingress TLS
 * entries and Gateway HTTPS listeners that name it (or its own name when none does). */
export interface Secret extends SecretManifest {
  hosts: string[];
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
  /** The pod's /etc/resolv.conf, resolved from dnsPolicy and dnsConfig. */
  resolver: ResolverConfig;
  containers: Container[];
  volumes: Volume[];
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

export type KubeProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'none';

/** Which node answers ARP for a LoadBalancer IP (MetalLB L2 mode). */
export interface L2Announcement {
  ip: string;
  node: string;
  service: string;
}

export interface ClusterModel {
  lab: string;
  description: string;
  /** kubernetes: the real control plane and node agents; none: the lab file straight to the kernel. */
  controlPlane: 'kubernetes' | 'none';
  underlay: Underlay;
  network: ClusterNetwork;
  kubeProxy: KubeProxyMode;
  /** kube-proxy's --iptables-sync-period, in ms (default 30 s). */
  kubeProxySyncPeriodMs?: number;
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
  configMaps: ConfigMapManifest[];
  /** Every namespace in use (and the system ones), with its labels, which always include
   * kubernetes.io/metadata.name (set by the API server since 1.21). */
  namespaces: { name: string; labels: Record<string, string> }[];
  /** networking.k8s.io/v1 NetworkPolicies, defaulted as the API server defaults them. */
  networkPolicies: NetworkPolicy[];
  /** Ingress and Gateway API objects, in lab-file order (their creation order). */
  ingress: IngressObjects;
  /** Secrets, with the host names their generated certificate must cover. */
  secrets: Secret[];
  /** Calico IPAM blocks and the node each is affine to (Calico pod networks only). */
  calicoBlocks?: { cidr: string; node: string }[];
  /** Calico IPAM's pool (the pod network and its block size), with a Calico pod network. */
  calicoPool?: { cidr: string; blockSize: number };
  /** Calico IP-in-IP: each node's tunl0 address (from IPAM, before its pods). */
  calicoTunnels?: Record<string, string>;
  /** Things in the lab file worth a word that do not stop it (paths into the lab file). */
  warnings: { path: (string | number)[]; message: string; fix?: string }[];
}

/** A Service with its addresses allocated. */
export interface Service extends ServiceManifest {
  clusterIPSource?: 'given' | 'allocated';
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
