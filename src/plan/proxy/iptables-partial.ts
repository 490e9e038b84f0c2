// kube-proxy's partial sync in iptables mode, as upstream writes it (kubernetes v1.34.2
// pkg/proxy/iptables/proxier.go syncProxyRules with tryPartialSync): the whole filter table and
// the top-level nat chains (KUBE-SERVICES, KUBE-NODEPORTS, ...) are written again, the chains of
// the services whose objects changed are written, the chains no service has any more are
// deleted, and the chains of unchanged services are left alone (not mentioned in the restore, so
// their rules and counters stay). Upstream renders every service to write the top-level chains;
// here the last sync's top-level rules are kept, and only the changed services' lines are taken
// out and put in, each rendered alone. The result is the text of upstream's partial sync up to
// the order of per-service rules in the top-level chains, which match disjoint destinations.
import { isServiceChainName } from './iptables-names.js';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import type { ChainMap, TableName } from './iptables-chains.js';

/** The rules of each top-level chain (per table), as the last sync wrote them. */
export type TopLevelRules = Record<TableName, Map<string, string[]>>;

const TABLES: TableName[] = ['filter', 'nat'];

/** The top-level chains of a full sync's tables. */
export function topLevelOf(tables: Record<TableName, ChainMap>): TopLevelRules {
  // A loop, not a copy of the table filtered: at 10k services a table has ~30k chains.
  const pick = (chains: ChainMap) => {
    const out = new Map<string, string[]>();
    for (const [chain, rules] of chains) if (!isServiceChainName(chain)) out.set(chain, rules);
    return out;
  };
  return { filter: pick(tables.filter), nat: pick(tables.nat) };
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

const render = (input: KubeProxyIptablesInput, largeClusterMode: boolean) => renderKubeProxyRuleset({ ...input, largeClusterMode });

/**
 * The restore input of a partial sync and the top-level rules after it. `removed` holds the
 * changed and deleted services' objects as the last sync saw them, `added` the changed and new
 * services' objects now (both the node's input narrowed to those services); `large`: the node's
 * large-cluster mode, which the caller counted over all its services.
 */
export function renderPartialSync(
  topLevel: TopLevelRules,
  removed: KubeProxyIptablesInput,
  added: KubeProxyIptablesInput,
  large: boolean,
): { text: string; topLevel: TopLevelRules } {
  const base = render({ ...added, services: [], endpointSlices: [] }, large);
  const before = render(removed, large);
  const after = render(added, large);
  const next: TopLevelRules = { filter: new Map(), nat: new Map() };
  let text = '';
  for (const table of TABLES) {
    const baseChains = base.tables[table];
    const out = before.tables[table];
    const into = topLevelDelta(after.tables[table], baseChains);
    const gone = new Set([...topLevelDelta(out, baseChains).values()].flat());
    // Each top-level chain: the per-service lines it kept, the new ones, then the chain's own
    // lines (KUBE-SERVICES' jump to KUBE-NODEPORTS "must be the last rule"), as a full sync orders them.
    const lines = [`*${table}`];
    const rules: string[] = [];
    for (const [chain, baseRules] of baseChains) {
      const own = new Set(baseRules);
      const kept = (topLevel[table].get(chain) ?? []).filter((r) => !own.has(r) && !gone.has(r));
      const all = [...kept, ...(into.get(chain) ?? []), ...baseRules];
      next[table].set(chain, all);
      lines.push(`:${chain} - [0:0]`);
      if (all.length > 0) rules.push(all.join('\n'));
    }
    // The changed services' chains whole; those a service no longer has, deleted.
    const written = [...after.tables[table]].filter(([c]) => isServiceChainName(c));
    const deleted = [...out.keys()].filter((c) => isServiceChainName(c) && !after.tables[table].has(c));
    for (const [chain, chainRules] of written) {
      lines.push(`:${chain} - [0:0]`);
      if (chainRules.length > 0) rules.push(chainRules.join('\n'));
    }
    for (const chain of deleted) lines.push(`:${chain} - [0:0]`);
    text += [...lines, ...rules, ...deleted.map((c) => `-X ${c}`), 'COMMIT'].join('\n') + '\n';
  }
  return { text, topLevel: next };
}
