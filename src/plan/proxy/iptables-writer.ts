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
  // One map of the declared chains (in declaration order) to their rules, handed out as the
  // table: at 10k services a table has ~30k chains, and a sync allocates nothing per chain twice.
  private readonly chains: ChainMap = new Map();
  /** Rules of chains written before they are declared (a service's masquerade rule goes to its
   * SVC chain before the chain's declaration, as upstream writes them). */
  private readonly early = new Map<string, string[]>();
  private readonly parts: string[] = [];
  /** With a journal: the restore lines written since the last drain, declarations apart. */
  private readonly journal: { declared: string[]; rules: string[] } | undefined;

  /** `journal`: also keep the lines in the order written, for drain(). */
  constructor(
    private readonly table: TableName,
    journal = false,
  ) {
    this.journal = journal ? { declared: [], rules: [] } : undefined;
  }

  declare(chain: string): void {
    if (this.chains.has(chain)) return;
    const rules = this.early.get(chain);
    if (rules) this.early.delete(chain);
    this.chains.set(chain, rules ?? []);
    this.journal?.declared.push(`:${chain} - [0:0]`);
  }

  write(chain: string, ...words: (string | readonly string[])[]): void {
    let rules = this.chains.get(chain) ?? this.early.get(chain);
    if (rules === undefined) this.early.set(chain, (rules = []));
    // Concatenated, not spread, flattened and joined: this runs for every rule of every sync,
    // and those temporary arrays were the largest item of the render's profile (GC included).
    const parts = this.parts;
    parts.push('-A', chain);
    for (const w of words) {
      if (typeof w === 'string') parts.push(w);
      else for (const x of w) parts.push(x);
    }
    const rule = parts.join(' ');
    rules.push(rule);
    this.journal?.rules.push(rule);
    parts.length = 0;
  }

  /**
   * The restore lines written since the last drain: the chains declared, then the rules in the
   * order written (each chain's rules in its own order, as in the chain map). Every chain a rule
   * was written to must be declared by now: iptables-restore refuses a rule for, or a jump to, a
   * chain it has not seen yet.
   */
  drain(): string[] {
    if (!this.journal) throw new Error(`${this.table}: drain() needs a writer with a journal`);
    for (const chain of this.early.keys()) throw new Error(`${this.table}: rules written to ${chain} before its declaration was drained`);
    const { declared, rules } = this.journal;
    const lines = declared.concat(rules);
    declared.length = 0;
    rules.length = 0;
    return lines;
  }

  /** The table: each declared chain with its rules, in declaration order. */
  toChainMap(): ChainMap {
    for (const chain of this.early.keys()) throw new Error(`${this.table}: rules written to undeclared chain ${chain}`);
    return this.chains;
  }
}

export interface SyncContext {
  opts: ResolvedOptions;
  filter: TableWriter;
  nat: TableWriter;
  largeClusterMode: boolean;
  serviceChains: Map<string, string[]>;
  /** The endpoints of every service this sync writes (upstream counts them for large-cluster mode). */
  totalEndpoints: number;
}

export const quote = (text: string): string => `"${text}"`;

/** Rule words as iptables-restore reads them: a word with spaces (a comment) in quotes. */
export const restoreWords = (words: readonly string[]): string => words.map((w) => (/\s/.test(w) ? quote(w) : w)).join(' ');
