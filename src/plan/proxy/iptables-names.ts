// kube-proxy (iptables mode) chain names, exactly as upstream computes them.
//
// Upstream: kubernetes/kubernetes pkg/proxy/iptables/proxier.go at commit
// 531be81208e2274ef42e72525a26610a9622bcdf (portProtoHash, servicePortPolicyClusterChain,
// servicePortPolicyLocalChainName, serviceFirewallChainName, serviceExternalChainName,
// servicePortEndpointChainName, isServiceChainName) and pkg/proxy/types.go
// (ServicePortName.String()).
//
// The hash input is ServicePortName.String() ("ns/name:port", or "ns/name" when the port
// has no name) + the LOWERCASE protocol ("tcp", "udp", "sctp"); endpoint chains also append
// the endpoint string net.JoinHostPort(ip, port) ("10.180.0.1:80", "[fd00::1]:80").
import { hash16 } from '../chain-hash.js';

/** proxy.ServicePortName.String(): "ns/name:port", or "ns/name" when the port is unnamed. */
export function servicePortNameString(namespace: string, name: string, portName: string): string {
  return `${namespace}/${name}${portName === '' ? '' : `:${portName}`}`;
}

/** net.JoinHostPort(ip, port): brackets IPv6 addresses. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** portProtoHash: first 16 chars of base32(sha256(servicePortName + protocol)). */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol);
}

export const SERVICE_CHAIN_PREFIXES = {
  cluster: 'KUBE-SVC-',
  local: 'KUBE-SVL-',
  firewall: 'KUBE-FW-',
  external: 'KUBE-EXT-',
  endpoint: 'KUBE-SEP-',
} as const;

/** KUBE-SVC-XXXX: dispatch to endpoints under "Cluster" traffic policy. */
export function servicePortPolicyClusterChain(servicePortName: string, protocol: string): string {
  return SERVICE_CHAIN_PREFIXES.cluster + portProtoHash(servicePortName, protocol);
}

/** The name the brief (and older kube-proxy) uses for the KUBE-SVC chain. */
export const servicePortChainName = servicePortPolicyClusterChain;

/** KUBE-SVL-XXXX: dispatch to node-local endpoints under "Local" traffic policy. */
export function servicePortPolicyLocalChainName(servicePortName: string, protocol: string): string {
  return SERVICE_CHAIN_PREFIXES.local + portProtoHash(servicePortName, protocol);
}

/** KUBE-FW-XXXX: loadBalancerSourceRanges filtering. */
export function serviceFirewallChainName(servicePortName: string, protocol: string): string {
  return SERVICE_CHAIN_PREFIXES.firewall + portProtoHash(servicePortName, protocol);
}

/** KUBE-EXT-XXXX: external (NodePort / LB / externalIP) traffic, with short-circuit rules. */
export function serviceExternalChainName(servicePortName: string, protocol: string): string {
  return SERVICE_CHAIN_PREFIXES.external + portProtoHash(servicePortName, protocol);
}

/** The four per-service-port chain names at once (one hash, as newServiceInfo computes them). */
export function servicePortChainNames(servicePortName: string, protocol: string): { cluster: string; local: string; firewall: string; external: string } {
  const hash = portProtoHash(servicePortName, protocol);
  const p = SERVICE_CHAIN_PREFIXES;
  return { cluster: p.cluster + hash, local: p.local + hash, firewall: p.firewall + hash, external: p.external + hash };
}

/** KUBE-SEP-XXXX: one endpoint; hashes servicePortName + protocol + "ip:port". */
export function servicePortEndpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return SERVICE_CHAIN_PREFIXES.endpoint + hash16(servicePortName + protocol + endpoint);
}

/** isServiceChainName: the per-service chains kube-proxy owns (and may delete when stale). */
export function isServiceChainName(chain: string): boolean {
  for (const prefix of PREFIXES) if (chain.startsWith(prefix)) return true;
  return false;
}

// Listed once: this runs for every chain of a table on each sync.
const PREFIXES: readonly string[] = Object.values(SERVICE_CHAIN_PREFIXES);
