// kube-proxy IPVS mode's constants: its dummy device, default scheduler, and the iptables chains
// and jumps it still needs (kubernetes/kubernetes pkg/proxy/ipvs/proxier.go).

/** proxier.go defaultDummyDevice / defaultScheduler. */
export const DUMMY_DEVICE = 'kube-ipvs0';
export const DEFAULT_SCHEDULER = 'rr';

// ---- iptables chains (proxier.go constants) ---------------------------------------------------

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
export const KUBE_IPVS_FILTER = 'KUBE-IPVS-FILTER';
export const KUBE_IPVS_OUT_FILTER = 'KUBE-IPVS-OUT-FILTER';

export type Table = 'nat' | 'filter';

/** iptablesChains: the chains every sync declares, per table, in upstream order. */
export const IPVS_IPTABLES_CHAINS: readonly { table: Table; chain: string }[] = [
  { table: 'nat', chain: KUBE_SERVICES },
  { table: 'nat', chain: KUBE_POSTROUTING },
  { table: 'nat', chain: KUBE_NODE_PORT },
  { table: 'nat', chain: KUBE_LOAD_BALANCER },
  { table: 'nat', chain: KUBE_MARK_MASQ },
  { table: 'filter', chain: KUBE_FORWARD },
  { table: 'filter', chain: KUBE_NODE_PORT },
  { table: 'filter', chain: KUBE_PROXY_FIREWALL },
  { table: 'filter', chain: KUBE_SOURCE_RANGES_FIREWALL },
  { table: 'filter', chain: KUBE_IPVS_FILTER },
  { table: 'filter', chain: KUBE_IPVS_OUT_FILTER },
];

/** iptablesJumpChain: rules in built-in chains, each installed with EnsureRule(Prepend, ...). */
export const IPVS_JUMP_CHAINS: readonly { table: Table; from: string; to: string; comment: string }[] = [
  { table: 'nat', from: 'OUTPUT', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: KUBE_POSTROUTING, comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_FORWARD, comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_NODE_PORT, comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_IPVS_FILTER, comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: KUBE_IPVS_OUT_FILTER, comment: 'kubernetes ipvs access filter' },
];

/** A double-quoted iptables-restore argument (rule comments). */
export const quote = (s: string): string => `"${s}"`;
