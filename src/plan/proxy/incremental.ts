// Incremental syncs: when a few services change on a node that already has thousands,
// render only those services and restore only what differs.
//
// Upstream's partial sync (proxier.go syncProxyRules with tryPartialSync) re-renders every
// service and rewrites the top-level chains (KUBE-SERVICES, ...) whole. At 10k services that is
// ~0.7 s of rendering here and a 10k-rule chain rewrite in the kernel, for one change. This sync
// reaches the same ruleset a full sync would (up to the order of rules in the top-level chains,
// whose per-service rules match disjoint destinations): it renders the changed services alone,
// takes their rules in the top-level chains as the lines a ruleset with them has and one
// without them lacks, inserts those (`-I <chain> 1`, so KUBE-SERVICES' final KUBE-NODEPORTS
// jump stays last) or deletes them (`-D`), and writes the services' own chains whole.
import { isServiceChainName } from './iptables-names.js';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import type { ChainMap, KubeProxyRuleset } from './iptables-chains.js';

export interface ServiceChange {
  added: string[];
  removed: string[];
}

const key = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;

function only(input: KubeProxyIptablesInput, names: Set<string>, largeClusterMode: boolean): KubeProxyRuleset {
  return renderKubeProxyRuleset({
    ...input,
    services: input.services.filter((s) => names.has(key(s))),
    endpointSlices: input.endpointSlices.filter((e) => names.has(`${e.namespace}/${e.serviceName}`)),
    largeClusterMode,
  });
}

/** Lines of each top-level chain that `withSvc` has and `base` has not. */
function topLevelDelta(withSvc: ChainMap, base: ChainMap): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [chain, rules] of withSvc) {
    if (isServiceChainName(chain)) continue;
    const have = new Set(base.get(chain) ?? []);
    const extra = rules.filter((r) => !have.has(r));
    if (extra.length > 0) out.set(chain, extra);
  }
  return out;
}

/** iptables-restore --noflush input that turns `before` into `after` for the changed services.
 * `before` and `after` are the node's full inputs (the services before and after the change);
 * `large`: the node's large-cluster mode after the change (by default counted from `after`, as
 * a full sync counts it; a caller that keeps the count passes it). */
export function renderIncrementalSync(
  before: KubeProxyIptablesInput,
  after: KubeProxyIptablesInput,
  change: ServiceChange,
  large = renderKubeProxyRuleset(after).largeClusterMode,
): string {
  const base = only(after, new Set(), large);
  const added = only(after, new Set(change.added), large);
  const removed = only(before, new Set(change.removed), large);
  const text: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const lines: string[] = [];
    const declare: string[] = [];
    const rules: string[] = [];
    // Removed services: their top-level rules out, their chains flushed and deleted.
    for (const [, extra] of topLevelDelta(removed.tables[table], base.tables[table])) for (const r of extra) rules.push(r.replace(/^-A /, '-D '));
    const deleted = [...removed.tables[table].keys()].filter((c) => isServiceChainName(c) && !added.tables[table].has(c));
    // Added (or changed) services: their chains whole, their top-level rules inserted.
    for (const [chain, chainRules] of added.tables[table]) {
      if (!isServiceChainName(chain)) continue;
      declare.push(`:${chain} - [0:0]`);
      rules.push(...chainRules);
    }
    for (const [chain, extra] of topLevelDelta(added.tables[table], base.tables[table])) {
      for (const r of [...extra].reverse()) rules.push(r.replace(new RegExp(`^-A ${chain} `), `-I ${chain} 1 `));
    }
    for (const c of deleted) declare.push(`:${c} - [0:0]`);
    if (declare.length + rules.length + deleted.length === 0) continue;
    lines.push(`*${table}`, ...declare, ...rules, ...deleted.map((c) => `-X ${c}`), 'COMMIT');
    text.push(lines.join('\n'));
  }
  return text.length > 0 ? text.join('\n') + '\n' : '';
}
