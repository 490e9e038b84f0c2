// The iptables-restore input of a ruleset, for full and partial syncs, in the layout of
// kubernetes/kubernetes pkg/proxy/iptables/proxier.go: per table, the chain lines, then the rules.
import { isServiceChainName } from './iptables-names.js';
import { NAT_TOP_LEVEL_CHAINS, type ChainMap, type KubeProxyRuleset, type TableName } from './iptables-chains.js';

// ---- restore text / partial syncs -------------------------------------------------------------

export interface RestoreTextOptions {
  /**
   * Partial sync: write only these per-service nat chains (plus, always, the whole filter table
   * and the top-level nat chains, as upstream does). Declaring ":CHAIN - [0:0]" under --noflush
   * flushes and rewrites exactly the chains written; the others are left as they are.
   */
  onlyChains?: ReadonlySet<string>;
  /** Stale service chains to delete (":CHAIN - [0:0]" then "-X CHAIN"); active or non-service chains are ignored. */
  deleteChains?: Iterable<string>;
}

/** The nat chains of the given services ("ns/name"), for RestoreTextOptions.onlyChains. */
export function chainsOfServices(ruleset: KubeProxyRuleset, serviceNames: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const name of serviceNames) for (const chain of ruleset.serviceChains.get(name) ?? []) out.add(chain);
  return out;
}

/** iptables-restore input in upstream's layout: per table, all chain lines, then the rules. */
export function toRestoreText(ruleset: KubeProxyRuleset, opts: RestoreTextOptions = {}): string {
  const natTopLevel = new Set<string>(NAT_TOP_LEVEL_CHAINS);
  const natChains = [...ruleset.tables.nat.keys()].filter((c) => opts.onlyChains === undefined || natTopLevel.has(c) || opts.onlyChains.has(c));
  const deleted = [...new Set(opts.deleteChains ?? [])].filter((c) => isServiceChainName(c) && !ruleset.tables.nat.has(c));
  return tableText('filter', ruleset.tables.filter, [...ruleset.tables.filter.keys()], []) + tableText('nat', ruleset.tables.nat, natChains, deleted);
}

function tableText(table: TableName, chains: ChainMap, written: string[], deleted: string[]): string {
  const lines = [`*${table}`];
  for (const chain of [...written, ...deleted]) lines.push(`:${chain} - [0:0]`);
  // Each chain's rules joined on their own (not spread into one array: KUBE-SERVICES has a rule per service).
  for (const chain of written) {
    const rules = chains.get(chain) ?? [];
    if (rules.length > 0) lines.push(rules.join('\n'));
  }
  for (const chain of deleted) lines.push(`-X ${chain}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
