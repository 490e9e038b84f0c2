// kube-proxy iptables mode's chains and output shape: proxier.go's constants, iptablesJumpChains
// and the ruleset type (kubernetes/kubernetes pkg/proxy/iptables/proxier.go, commit 531be812).

// ---- chains (proxier.go constants) ------------------------------------------------------------

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kubeletFirewallChain: kube-proxy's copy of kubelet's anti-martian-packet chain. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** The martian-packet rule of KUBE-FIREWALL (https://issue.k8s.io/90259: route_localnet lets a
 * packet from outside reach 127.0.0.0/8). kubelet appends it (pkg/kubelet/kubelet_network_linux.go,
 * v1.34.2) and kube-proxy's iptables mode writes an identical copy, so both use these words. */
export const LOCALNET_DROP_RULE: readonly string[] = [
  '-m',
  'comment',
  '--comment',
  'block incoming localnet connections',
  '-d',
  '127.0.0.0/8',
  '!',
  '-s',
  '127.0.0.0/8',
  '-m',
  'conntrack',
  '!',
  '--ctstate',
  'RELATED,ESTABLISHED,DNAT',
  '-j',
  'DROP',
];

/** Above this many endpoints upstream drops per-endpoint comments ("large cluster mode"). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** nfacct counter names (pkg/proxy/metrics). */
export const NFACCT_CT_STATE_INVALID_DROPPED = 'ct_state_invalid_dropped_pkts';
export const NFACCT_LOCALHOST_NODEPORT_ACCEPTED = 'localhost_nps_accepted_pkts';
/** The counters the iptables proxier ensures on a full sync (its nfAcctCounters). */
export const NFACCT_COUNTERS = [NFACCT_CT_STATE_INVALID_DROPPED, NFACCT_LOCALHOST_NODEPORT_ACCEPTED] as const;

/** Flags upstream passes to iptables-restore (RestoreAll with NoFlushTables, RestoreCounters). */
export const IPTABLES_RESTORE_FLAGS = ['--noflush', '--counters'] as const;

/** Chains of the filter/nat tables that every sync (full or partial) writes, in upstream order. */
export const FILTER_TOP_LEVEL_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL] as const;
export const NAT_TOP_LEVEL_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ] as const;

export type TableName = 'filter' | 'nat';

/** iptablesJumpChain: a rule in a built-in chain, installed with EnsureRule(Prepend, ...). */
export interface JumpChain {
  table: TableName;
  dstChain: string;
  srcChain: string;
  comment: string;
  extraArgs: string[];
  /** True for iptablesKubeletJumpChains (duplicates of kubelet's, never cleaned up). */
  kubelet: boolean;
}

const ctNew = ['-m', 'conntrack', '--ctstate', 'NEW'];
const jump = (table: TableName, dstChain: string, srcChain: string, comment: string, extraArgs: string[] = []): JumpChain => ({
  table,
  dstChain,
  srcChain,
  comment,
  extraArgs,
  kubelet: false,
});

/** iptablesJumpChains followed by iptablesKubeletJumpChains, in upstream order. */
export const IPTABLES_JUMP_CHAINS: readonly JumpChain[] = [
  jump('filter', KUBE_EXTERNAL_SERVICES, 'INPUT', 'kubernetes externally-visible service portals', ctNew),
  jump('filter', KUBE_EXTERNAL_SERVICES, 'FORWARD', 'kubernetes externally-visible service portals', ctNew),
  jump('filter', KUBE_NODEPORTS, 'INPUT', 'kubernetes health check service ports'),
  jump('filter', KUBE_SERVICES, 'FORWARD', 'kubernetes service portals', ctNew),
  jump('filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', ctNew),
  jump('filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules'),
  jump('filter', KUBE_PROXY_FIREWALL, 'INPUT', 'kubernetes load balancer firewall', ctNew),
  jump('filter', KUBE_PROXY_FIREWALL, 'OUTPUT', 'kubernetes load balancer firewall', ctNew),
  jump('filter', KUBE_PROXY_FIREWALL, 'FORWARD', 'kubernetes load balancer firewall', ctNew),
  jump('nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals'),
  jump('nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals'),
  jump('nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules'),
  { ...jump('filter', KUBE_FIREWALL, 'INPUT', ''), kubelet: true },
  { ...jump('filter', KUBE_FIREWALL, 'OUTPUT', ''), kubelet: true },
];

/** The argv after `iptables -t <table> -I|-C <srcChain>` (no shell quoting: one word each). */
export function jumpRuleArgs(j: JumpChain): string[] {
  const comment = j.comment === '' ? [] : ['-m', 'comment', '--comment', j.comment];
  return [...j.extraArgs, ...comment, '-j', j.dstChain];
}

// ---- output ---------------------------------------------------------------------------------

/** Chain name -> its rules ("-A CHAIN ..." lines), in the order upstream declares the chains. */
export type ChainMap = Map<string, string[]>;

export interface KubeProxyRuleset {
  tables: { filter: ChainMap; nat: ChainMap };
  /** Per service ("ns/name"), the nat chains (SVC/SVL/EXT/FW/SEP) its ports own. */
  serviceChains: Map<string, string[]>;
  /** Rules in built-in chains, installed outside iptables-restore on full syncs. */
  jumpRules: readonly JumpChain[];
  /** The endpoints of every service port, as upstream counts them for large-cluster mode. */
  totalEndpoints: number;
  largeClusterMode: boolean;
}
