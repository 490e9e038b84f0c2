// The node agent as kube-proxy (iptables or nftables mode) and as the pod network's policy engine: each sync
// renders the whole ruleset from the live model with the same renderers the static path uses and
// restores it in one iptables-restore. Chains a sync no longer writes are deleted in the same
// restore; jump rules from the built-in chains go in on the first sync only, as kube-proxy's
// EnsureRule inserts them only when missing, so a re-sync never duplicates them.
import type { ClusterModel, Node } from '../model/types.js';
import { netnsName } from '../model/names.js';
import type { Op } from '../plan/types.js';
import { renderKubeProxyRuleset } from '../plan/proxy/iptables.js';
import { toRestoreText } from '../plan/proxy/iptables-restore.js';
import { isServiceChainName } from '../plan/proxy/iptables-names.js';
import { nftablesInputFor, routeLocalnetOp, withJumps } from '../plan/proxy/registry.js';
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
 * exist in the node's namespace, so the rules count with them. */
export function kubeProxySync(model: ClusterModel, node: Node, previous?: RulesState, nfacct = false): { ops: Op[]; state: RulesState } | undefined {
  const ruleset = renderKubeProxyRuleset({
    hostname: node.name,
    nodeIPs: [node.ip],
    clusterCIDR: model.network.podCIDR,
    services: model.services,
    endpointSlices: model.endpointSlices,
    nfacct,
  });
  const body = toRestoreText(ruleset);
  if (previous?.text === body) return undefined;
  // A re-sync's text is the body plus the chains to delete; with none, the body itself.
  const stale = previous?.chains.some((c) => isServiceChainName(c) && !ruleset.tables.nat.has(c));
  const text = previous ? (stale ? toRestoreText(ruleset, { deleteChains: previous.chains }) : body) : withJumps(body);
  return {
    // The first sync also sets route_localnet, as NewProxier does once.
    ops: [...(previous ? [] : [routeLocalnetOp(model, node)]), { kind: 'iptables-restore', netns: netnsName(model.lab, node.name), rules: text }],
    state: { text: body, chains: [...ruleset.tables.nat.keys()] },
  };
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
