// kube-proxy on every node, in the mode the lab names (cluster.kubeProxy.mode): its rules as
// plan operations (one iptables-restore, or one `nft -f` in nftables mode, per node per sync)
// and the features the mode needs.
import type { ClusterModel, Node } from '../../model/types.js';
import { netnsName } from '../../model/names.js';
import type { IptablesEnsure, Op } from '../types.js';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import { toRestoreText, type RestoreAdditions } from './iptables-restore.js';
import { IPTABLES_JUMP_CHAINS, jumpRuleArgs } from './iptables-chains.js';
import { restoreWords } from './iptables-writer.js';
import { planIpvsNode, IPVS_REQUIRES } from './ipvs-node.js';
import { syncNftables, type KubeProxyNftablesInput } from './nftables.js';
import { transactionText } from './nft-objects.js';

export interface ProxyPlan {
  /** iptables-restore (and ipset/ipvs restore) per node. */
  ruleOps: Op[];
  /** Devices kube-proxy creates (kube-ipvs0 in IPVS mode). */
  nodeOps: Op[];
}

export function kubeProxyRequires(model: ClusterModel): string[] {
  if (model.kubeProxy === 'iptables')
    return ['CONFIG_NF_CONNTRACK', 'CONFIG_NETFILTER_XT_MATCH_STATISTIC', 'CONFIG_NETFILTER_XT_MATCH_RECENT', 'CONFIG_NETFILTER_XT_MATCH_COMMENT'];
  if (model.kubeProxy === 'ipvs') return IPVS_REQUIRES;
  if (model.kubeProxy === 'nftables')
    return ['CONFIG_NF_TABLES', 'CONFIG_NF_CONNTRACK', 'CONFIG_NFT_NAT', 'CONFIG_NFT_NUMGEN', 'CONFIG_NFT_FIB_IPV4', 'CONFIG_NFT_REJECT'];
  return [];
}

/** The jump rules from the built-in chains (upstream: EnsureRule(Prepend) per rule, before the
 * restore, for iptablesJumpChains and iptablesKubeletJumpChains, kubernetes v1.34.2
 * pkg/proxy/iptables/proxier.go:794). Here they are `-I` lines in the same restore, so a sync
 * stays one process; each `-I` prepends, exactly as each EnsureRule(Prepend) does. They go in on
 * the first sync only, as EnsureRule adds a rule only when it is missing. kubelet's KUBE-FIREWALL
 * jumps (iptablesKubeletJumpChains) are left out: on a lab's nodes kubelet put them there before
 * kube-proxy started (plan/kubelet-iptables.ts), so upstream's EnsureRule finds them. */
function jumpLines(table: 'filter' | 'nat'): string[] {
  return IPTABLES_JUMP_CHAINS.filter((j) => j.table === table && !j.kubelet).map((j) => `-I ${j.srcChain} ${restoreWords(jumpRuleArgs(j))}`);
}

/** kube-proxy's canary chain (proxier.go:315, ipt.Monitor over mangle, nat and filter): it exists
 * while kube-proxy's rules do; a flush of the tables by someone else removes it, and kube-proxy
 * then re-syncs. Created empty, like upstream's EnsureChain. */
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';

/** What every full sync after the first ensures before its restore (proxier.go:794-812): each
 * jump's target chain, then the jump, prepended when missing, kubelet's KUBE-FIREWALL jumps
 * included (iptablesKubeletJumpChains). The first sync writes them into its restore instead
 * (firstSyncAdditions), on a node where only kubelet's are there. */
export function kubeProxyJumpEnsures(): IptablesEnsure[] {
  return IPTABLES_JUMP_CHAINS.flatMap((j): IptablesEnsure[] => [
    { table: j.table, chain: j.dstChain },
    { table: j.table, chain: j.srcChain, position: 'prepend', rule: jumpRuleArgs(j) },
  ]);
}

/** kube-proxy's iptables Monitor (proxier.go:315): its canary, the tables, every --iptables-sync-period. */
export const kubeProxyCanaryMonitor = (syncPeriodMs: number) => ({
  canary: KUBE_PROXY_CANARY,
  tables: ['mangle', 'nat', 'filter'] as const,
  intervalMs: syncPeriodMs,
});

/** What a first sync's restore adds: the canary chain in mangle, nat and filter, and the jump rules. */
export function firstSyncAdditions(): RestoreAdditions {
  return {
    tables: ['*mangle', `:${KUBE_PROXY_CANARY} - [0:0]`, 'COMMIT'],
    chains: { filter: [KUBE_PROXY_CANARY], nat: [KUBE_PROXY_CANARY] },
    rules: { filter: jumpLines('filter'), nat: jumpLines('nat') },
  };
}

/** With localhost NodePorts (the default) kube-proxy sets net.ipv4.conf.all.route_localnet=1 so
 * that 127.0.0.1:<nodePort> is routed to the DNAT target (proxier.go:240-243). */
export function routeLocalnetOp(model: ClusterModel, node: Node): Op {
  return { kind: 'sysctl', netns: netnsName(model.lab, node.name), key: 'net.ipv4.conf.all.route_localnet', value: '1' };
}

/** kube-proxy's iptables input for one node of the lab: its name and address, the pod network
 * as the local-traffic detector (--cluster-cidr). `nfacct`: kube-proxy's counters exist on the
 * node (the node agent creates them; the static path does not, and renders without them as
 * upstream does when it cannot create them). */
export function iptablesInputFor(model: ClusterModel, node: Node, nfacct = false): KubeProxyIptablesInput {
  return {
    hostname: node.name,
    nodeIPs: [node.ip],
    clusterCIDR: model.network.podCIDR,
    services: model.services,
    endpointSlices: model.endpointSlices,
    nfacct,
  };
}

export function iptablesRulesFor(model: ClusterModel, node: Node, nfacct = false): string {
  return toRestoreText(renderKubeProxyRuleset(iptablesInputFor(model, node, nfacct)), { additions: firstSyncAdditions() });
}

/** kube-proxy's nftables input for one node of the lab: its name and address, the pod network
 * as the local-traffic detector (--cluster-cidr), the service range as the ServiceCIDR the API
 * server creates from --service-cluster-ip-range. */
export function nftablesInputFor(model: ClusterModel, node: Node): KubeProxyNftablesInput {
  return {
    hostname: node.name,
    nodeIPs: [node.ip],
    clusterCIDR: model.network.podCIDR,
    serviceCIDRs: [model.network.serviceCIDR],
    services: model.services,
    endpointSlices: model.endpointSlices,
  };
}

/** kube-proxy's rules on every node; `podNetworkAddresses` are the addresses the pod network put
 * on each node (IPVS mode serves NodePorts on all of them). */
export function planKubeProxy(model: ClusterModel, podNetworkAddresses: Record<string, string[]>): ProxyPlan {
  if (model.kubeProxy === 'none') return { ruleOps: [], nodeOps: [] };
  if (model.kubeProxy === 'ipvs') {
    const plans = model.nodes.map((n) => planIpvsNode(model, n, podNetworkAddresses[n.name] ?? []));
    return { ruleOps: plans.flatMap((p) => p.ruleOps), nodeOps: plans.flatMap((p) => p.nodeOps) };
  }
  if (model.kubeProxy === 'nftables') {
    const nft = (n: Node): Op => ({ kind: 'nft', netns: netnsName(model.lab, n.name), input: transactionText(syncNftables(nftablesInputFor(model, n)).ops) });
    return { ruleOps: model.nodes.map(nft), nodeOps: [] };
  }
  return {
    ruleOps: model.nodes.flatMap((n): Op[] => [
      routeLocalnetOp(model, n),
      { kind: 'iptables-restore', netns: netnsName(model.lab, n.name), rules: iptablesRulesFor(model, n) },
    ]),
    nodeOps: [],
  };
}
