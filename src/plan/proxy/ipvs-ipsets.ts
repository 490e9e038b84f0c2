// The ipsets of IPVS mode: names and comments (pkg/proxy/ipvs/ipset.go), types (ipset/types.go),
// proxier.go ipsetInfo and ipsetWithIptablesChain, createSet defaults (ipset/ipset.go).
import {
  KUBE_LOAD_BALANCER,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  KUBE_SOURCE_RANGES_FIREWALL,
  type Table,
} from './ipvs-chains.js';

// ---- ipsets (ipset.go constants, proxier.go ipsetInfo) ----------------------------------------

export const KUBE_LOOP_BACK = 'KUBE-LOOP-BACK';
export const KUBE_CLUSTER_IP = 'KUBE-CLUSTER-IP';
export const KUBE_EXTERNAL_IP = 'KUBE-EXTERNAL-IP';
export const KUBE_EXTERNAL_IP_LOCAL = 'KUBE-EXTERNAL-IP-LOCAL';
export const KUBE_LOAD_BALANCER_SET = 'KUBE-LOAD-BALANCER';
export const KUBE_LOAD_BALANCER_FW = 'KUBE-LOAD-BALANCER-FW';
export const KUBE_LOAD_BALANCER_LOCAL = 'KUBE-LOAD-BALANCER-LOCAL';
export const KUBE_LOAD_BALANCER_SOURCE_IP = 'KUBE-LOAD-BALANCER-SOURCE-IP';
export const KUBE_LOAD_BALANCER_SOURCE_CIDR = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
export const KUBE_NODE_PORT_TCP = 'KUBE-NODE-PORT-TCP';
export const KUBE_NODE_PORT_LOCAL_TCP = 'KUBE-NODE-PORT-LOCAL-TCP';
export const KUBE_NODE_PORT_UDP = 'KUBE-NODE-PORT-UDP';
export const KUBE_NODE_PORT_LOCAL_UDP = 'KUBE-NODE-PORT-LOCAL-UDP';
export const KUBE_NODE_PORT_SCTP = 'KUBE-NODE-PORT-SCTP-HASH';
export const KUBE_NODE_PORT_LOCAL_SCTP = 'KUBE-NODE-PORT-LOCAL-SCTP-HASH';
export const KUBE_HEALTH_CHECK_NODE_PORT = 'KUBE-HEALTH-CHECK-NODE-PORT';
export const KUBE_IPVS_IPS = 'KUBE-IPVS-IPS';

/** ipset/types.go */
export type IpsetType = 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port' | 'hash:ip';

export interface IpsetInfo {
  name: string;
  type: IpsetType;
  /** Used only in the iptables rules that match the set (getComment), never passed to ipset. */
  comment: string;
}

/** ipsetInfo, in upstream order. */
export const IPVS_IPSETS: readonly IpsetInfo[] = [
  { name: KUBE_LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: KUBE_CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: KUBE_EXTERNAL_IP, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: KUBE_EXTERNAL_IP_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SET, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: KUBE_LOAD_BALANCER_FW, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: KUBE_LOAD_BALANCER_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  {
    name: KUBE_LOAD_BALANCER_SOURCE_CIDR,
    type: 'hash:ip,port,net',
    comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose',
  },
  { name: KUBE_NODE_PORT_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: KUBE_HEALTH_CHECK_NODE_PORT, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: KUBE_IPVS_IPS, type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

/**
 * ipsetWithIptablesChain: sets whose non-emptiness adds
 * `-A <from> [-p proto] -m comment --comment "<comment>" -m set --match-set <set> <match> -j <to>`.
 * The local node-port sets come before their non-local ones (RETURN before KUBE-MARK-MASQ).
 */
export const IPSET_WITH_IPTABLES_CHAIN: readonly { name: string; table: Table; from: string; to: string; matchType: string; protocolMatch: string }[] = [
  { name: KUBE_LOOP_BACK, table: 'nat', from: KUBE_POSTROUTING, to: 'MASQUERADE', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SET, table: 'nat', from: KUBE_SERVICES, to: KUBE_LOAD_BALANCER, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_LOCAL, table: 'nat', from: KUBE_LOAD_BALANCER, to: 'RETURN', matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_TCP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_UDP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_NODE_PORT_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_LOAD_BALANCER_FW, table: 'filter', from: KUBE_PROXY_FIREWALL, to: KUBE_SOURCE_RANGES_FIREWALL, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
];

/** ipset/types.go DefaultPortRange; ipset/ipset.go setIPSetDefaults (hashsize, maxelem). */
export const DEFAULT_PORT_RANGE = '0-65535';
export const DEFAULT_HASH_SIZE = 1024;
export const DEFAULT_MAX_ELEM = 65536;
