// The node agent as kube-proxy (iptables or nftables mode) and as the pod network's policy engine,
// with the same renderers the static path uses. kube-proxy's first sync is full, later ones write
// only what changed (one iptables-restore or `nft -f` transaction each). The policy engine
// renders its whole ruleset per sync and deletes the chains it no longer writes in the same
// restore. Jump rules from the built-in chains go in with the first sync, and again before the
// full sync that follows a flush of the tables (kubeProxyJumpEnsures), each only when missing, as
// kube-proxy's EnsureRule inserts them: a re-sync never duplicates them.
import type { ClusterModel, Node } from '../model/types.js';
import { netnsName } from '../model/names.js';
import type { Op } from '../plan/types.js';
import { syncIptables, type IptablesSyncState } from '../plan/proxy/iptables-sync.js';
import { firstSyncAdditions, iptablesInputFor, nftablesInputFor, routeLocalnetOp } from '../plan/proxy/registry.js';
import { syncNftables, type NftSyncState } from '../plan/proxy/nftables.js';
import { transactionText } from '../plan/proxy/nft-objects.js';
import { renderPodsFromModel, renderPolicyRules } from '../plan/policy/render.js';

export interface RulesState {
  /** The last text restored (a sync with the same text is skipped). */
  text: string;
  /** Chains it declared: the next sync deletes those it no longer writes. */
  chains: string[];
}

const declared = (text: string) => [...text.matchAll(/^:(\S+) - /gm)].map((m) => m[1]);

/** kube-proxy's sync of this node, or undefined when nothing changed; `nfacct`: its counters
 * exist in the node's namespace, so the rules count with them. The first sync is full and adds
 * the jump rules and canary chains; later ones write only the services that changed
 * (plan/proxy/iptables-sync.ts). `fullSync`: every service again, after the tables were flushed
 * (the caller ensures the jump rules first: kubeProxyJumpEnsures). */
export function kubeProxySync(
  model: ClusterModel,
  node: Node,
  previous?: IptablesSyncState,
  nfacct = false,
  fullSync = false,
): { ops: Op[]; state: IptablesSyncState } | undefined {
  // The first sync also writes kube-proxy's canary chains and jump rules.
  const sync = syncIptables(iptablesInputFor(model, node, nfacct), previous, { fullSync, additions: previous ? undefined : firstSyncAdditions() });
  if (!sync) return undefined;
  const netns = netnsName(model.lab, node.name);
  const ops: Op[] = [];
  // The first sync also sets route_localnet, as NewProxier does once.
  if (!previous) ops.push(routeLocalnetOp(model, node));
  if (sync.text !== '') ops.push({ kind: 'iptables-restore', netns, rules: sync.text });
  return { ops, state: sync.state };
}

/** kube-proxy's nftables sync of this node, as upstream's syncProxyRules: a full sync the first
 * time, then partial syncs that touch only the services whose objects changed and the map
 * elements that differ, each one `nft -f` transaction (plus, when chains went stale over a second
 * ago, upstream's separate transaction deleting them first). Undefined when nothing changed. */
export function kubeProxyNftSync(model: ClusterModel, node: Node, previous?: NftSyncState): { ops: Op[]; state: NftSyncState } | undefined {
  const sync = syncNftables(nftablesInputFor(model, node), previous);
  const netns = netnsName(model.lab, node.name);
  const ops: Op[] = [sync.cleanup, sync.ops].filter((tx) => tx.length > 0).map((tx) => ({ kind: 'nft', netns, input: transactionText(tx) }));
  return ops.length > 0 ? { ops, state: sync.state } : undefined;
}

/** The policy engine's sync of this node, or undefined when nothing changed. */
export function policySync(
  model: ClusterModel,
  node: Node,
  hostVeths: Record<string, string>,
  previous?: RulesState,
): { op: Op; state: RulesState } | undefined {
  const input = {
    node: node.name,
    pods: renderPodsFromModel(model.pods, (namespace: string, pod: string) => hostVeths[`${namespace}/${pod}`] ?? ''),
    namespaces: model.namespaces,
    policies: model.networkPolicies,
  };
  const body = renderPolicyRules({ ...input, includeJump: false });
  if (previous?.text === body) return undefined;
  const text = renderPolicyRules({ ...input, includeJump: !previous, staleChains: previous?.chains });
  return { op: { kind: 'iptables-restore', netns: netnsName(model.lab, node.name), rules: text }, state: { text: body, chains: declared(body) } };
}
