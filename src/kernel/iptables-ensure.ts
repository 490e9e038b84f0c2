// iptables' EnsureChain, EnsureRule and ChainExists as kubelet and kube-proxy use them
// (kubernetes v1.34.2 pkg/util/iptables/iptables.go): one iptables command each, for what must
// be added only when it is missing (the jump rules from the built-in chains, after someone
// flushed the tables) and for the canary checks of their iptables Monitor.
import { run } from './exec.js';
import type { IptablesEnsure } from '../plan/types.js';

export type IptablesTable = IptablesEnsure['table'];

const iptables = (netns: string, table: IptablesTable, args: string[]) =>
  run(['iptables', '-w', '-t', table, ...args], { netns, netOnly: true, allowFailure: true });

/** ChainExists: `iptables -t <table> -n -L <chain>` succeeds. */
export async function chainExists(netns: string, table: IptablesTable, chain: string): Promise<boolean> {
  return (await iptables(netns, table, ['-n', '-L', chain])).exitCode === 0;
}

/** Each chain or rule, in order, created only when missing. Throws naming the first that could
 * not be created. */
export async function ensureIptables(netns: string, items: readonly IptablesEnsure[]): Promise<void> {
  for (const item of items) {
    const argv =
      'rule' in item
        ? (await iptables(netns, item.table, ['-C', item.chain, ...item.rule])).exitCode === 0
          ? undefined
          : [item.position === 'prepend' ? '-I' : '-A', item.chain, ...item.rule]
        : (await chainExists(netns, item.table, item.chain))
          ? undefined
          : ['-N', item.chain];
    if (!argv) continue;
    const r = await iptables(netns, item.table, argv);
    if (r.exitCode !== 0) throw new Error(`iptables -t ${item.table} ${argv.join(' ')} in ${netns}: ${r.stderr.trim()}`);
  }
}
