// What kubelet itself writes into a node's iptables, whatever kube-proxy's mode (kubernetes
// v1.34.2 pkg/kubelet/kubelet_network_linux.go, initNetworkUtil and syncIPTablesRules):
// - KUBE-IPTABLES-HINT in mangle, an empty chain whose presence in iptables-nft or
//   iptables-legacy tells other components which of the two the node uses;
// - KUBE-FIREWALL in filter, jumped to first from INPUT and OUTPUT, with the rule that drops
//   packets for 127.0.0.0/8 that did not come from there (route_localnet's hole, #90259);
// - KUBE-KUBELET-CANARY in mangle, nat and filter (its iptables Monitor), empty: kubelet
//   re-creates the rules above when someone flushes the tables and the canary goes.
// kube-proxy runs after kubelet and finds the KUBE-FIREWALL jumps in place (its EnsureRule adds a
// rule only when missing), so its own restore leaves them out (proxy/registry.ts).
import type { ClusterModel, Node } from '../model/types.js';
import { netnsName } from '../model/names.js';
import { KUBE_FIREWALL, LOCALNET_DROP_RULE } from './proxy/iptables-chains.js';
import { restoreWords } from './proxy/iptables-writer.js';
import type { IptablesEnsure, Op } from './types.js';

export const KUBE_IPTABLES_HINT = 'KUBE-IPTABLES-HINT';
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY';

/** What kubelet's rules need of the kernel on every node (the drop rule's comment and conntrack
 * matches), so a lab on a kernel without them is skipped with the reason, not failed mid-way. */
export const KUBELET_IPTABLES_REQUIRES = ['CONFIG_NF_CONNTRACK', 'CONFIG_NETFILTER_XT_MATCH_CONNTRACK', 'CONFIG_NETFILTER_XT_MATCH_COMMENT'];

/** kubelet's rules as iptables-restore --noflush input, in the order kubelet ensures them: the
 * hint chain, KUBE-FIREWALL, the OUTPUT then INPUT jumps (each prepended), the drop rule, then the
 * Monitor's canaries. Declaring KUBE-FIREWALL flushes it, so applying twice leaves one rule; the
 * jumps are `-I`, so this runs once per node (when kubelet starts). */
export function kubeletRestoreText(): string {
  return [
    '*mangle',
    `:${KUBE_IPTABLES_HINT} - [0:0]`,
    `:${KUBE_KUBELET_CANARY} - [0:0]`,
    'COMMIT',
    '*nat',
    `:${KUBE_KUBELET_CANARY} - [0:0]`,
    'COMMIT',
    '*filter',
    `:${KUBE_FIREWALL} - [0:0]`,
    `:${KUBE_KUBELET_CANARY} - [0:0]`,
    `-I OUTPUT -j ${KUBE_FIREWALL}`,
    `-I INPUT -j ${KUBE_FIREWALL}`,
    `-A ${KUBE_FIREWALL} ${restoreWords(LOCALNET_DROP_RULE)}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** kubelet's iptables set-up on one node. */
export function planKubeletIptables(model: ClusterModel, node: Node): Op {
  return { kind: 'iptables-restore', netns: netnsName(model.lab, node.name), rules: kubeletRestoreText() };
}

/** kubelet's syncIPTablesRules as EnsureChain / EnsureRule steps, in its order: what its Monitor
 * re-creates after the KUBE-KUBELET-CANARY chains went (someone flushed the tables); the Monitor
 * re-creates the canaries itself. */
export const KUBELET_ENSURES: readonly IptablesEnsure[] = [
  { table: 'mangle', chain: KUBE_IPTABLES_HINT },
  { table: 'filter', chain: KUBE_FIREWALL },
  { table: 'filter', chain: 'OUTPUT', position: 'prepend', rule: ['-j', KUBE_FIREWALL] },
  { table: 'filter', chain: 'INPUT', position: 'prepend', rule: ['-j', KUBE_FIREWALL] },
  { table: 'filter', chain: KUBE_FIREWALL, position: 'append', rule: [...LOCALNET_DROP_RULE] },
];

/** kubelet's iptables Monitor: its canary, the tables it watches, how often (1 minute). */
export const KUBELET_CANARY_MONITOR = { canary: KUBE_KUBELET_CANARY, tables: ['mangle', 'nat', 'filter'] as const, intervalMs: 60_000 };
