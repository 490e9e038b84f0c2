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
  /** What a first sync adds (registry.ts firstSyncAdditions): whole tables written before the
   * others, chains declared first in each table, rules written last in each table. */
  additions?: RestoreAdditions;
}

export interface RestoreAdditions {
  /** Lines of tables of their own, written first ("*mangle", ..., "COMMIT"). */
  tables: string[];
  chains: Partial<Record<TableName, string[]>>;
  rules: Partial<Record<TableName, string[]>>;
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
  // One array of lines joined once: the text of 1k services is 11k lines, and every join or
  // concatenation of it is another copy of the whole.
  const lines: string[] = [...(opts.additions?.tables ?? [])];
  tableLines(lines, 'filter', ruleset.tables.filter, [...ruleset.tables.filter.keys()], [], opts.additions);
  tableLines(lines, 'nat', ruleset.tables.nat, natChains, deleted, opts.additions);
  lines.push('');
  return lines.join('\n');
}

/** One table of a restore input, appended to `lines`: every chain declared (the additions' first),
 * the written chains' rules, the deleted chains' -X, the additions' rules, COMMIT. */
export function tableLines(lines: string[], table: TableName, chains: ChainMap, written: string[], deleted: string[], additions?: RestoreAdditions): void {
  lines.push(`*${table}`);
  for (const chain of additions?.chains[table] ?? []) lines.push(`:${chain} - [0:0]`);
  for (const chain of written) lines.push(`:${chain} - [0:0]`);
  for (const chain of deleted) lines.push(`:${chain} - [0:0]`);
  // Rule by rule (not spread: KUBE-SERVICES has a rule per service; not joined per chain: that
  // copies the whole text once more).
  for (const chain of written) for (const rule of chains.get(chain) ?? []) lines.push(rule);
  for (const chain of deleted) lines.push(`-X ${chain}`);
  for (const rule of additions?.rules[table] ?? []) lines.push(rule);
  lines.push('COMMIT');
}
