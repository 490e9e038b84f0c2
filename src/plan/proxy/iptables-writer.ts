// The state of one sync: resolved options and a writer per table, like proxier.go's
// proxier.{filter,nat}{Chains,Rules} (kubernetes/kubernetes pkg/proxy/iptables/proxier.go).
import type { ChainMap, TableName } from './iptables-chains.js';

export interface ResolvedOptions {
  hostname: string;
  nodeIP: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeMark: string;
  randomFully: boolean;
  masqueradeAll: boolean;
  localhostNodePorts: boolean;
  nodePortCidrs: string[] | undefined;
  nfacct: boolean;
  conntrackTCPLiberal: boolean;
}

/** Collects chain declarations and rules for one table, like proxier.{filter,nat}{Chains,Rules}. */
export class TableWriter {
  // A Set, not an array search: at 10k services a table has ~30k chains.
  private readonly declared = new Set<string>();
  private readonly rules = new Map<string, string[]>();
  private readonly parts: string[] = [];

  declare(chain: string): void {
    this.declared.add(chain);
  }

  write(chain: string, ...words: (string | readonly string[])[]): void {
    // Concatenated, not spread, flattened and joined: this runs for every rule of every sync,
    // and those temporary arrays were the largest item of the render's profile (GC included).
    const parts = this.parts;
    parts.push('-A', chain);
    for (const w of words) {
      if (typeof w === 'string') parts.push(w);
      else for (const x of w) parts.push(x);
    }
    const line = parts.join(' ');
    parts.length = 0;
    const list = this.rules.get(chain);
    if (list) list.push(line);
    else this.rules.set(chain, [line]);
  }

  toChainMap(table: TableName): ChainMap {
    for (const chain of this.rules.keys()) {
      if (!this.declared.has(chain)) throw new Error(`${table}: rules written to undeclared chain ${chain}`);
    }
    return new Map([...this.declared].map((c) => [c, this.rules.get(c) ?? []]));
  }
}

export interface SyncContext {
  opts: ResolvedOptions;
  filter: TableWriter;
  nat: TableWriter;
  largeClusterMode: boolean;
  serviceChains: Map<string, string[]>;
}

export const quote = (text: string): string => `"${text}"`;

/** Rule words as iptables-restore reads them: a word with spaces (a comment) in quotes. */
export const restoreWords = (words: readonly string[]): string => words.map((w) => (/\s/.test(w) ? quote(w) : w)).join(' ');
