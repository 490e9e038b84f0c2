// Chain-path assertions from nft traces ("KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*"): which
// chains a traced packet entered, in order, and whether the expected ones occur in that order.
import { TRACE_TABLE } from '../kernel/trace-table.js';
import type { TracePacket } from '../capture/nft-trace.js';
import type { ExpectationSpec } from '../labfile/schema.js';
import type { HopResult } from './hops.js';

/** The chains the packet entered, in order, consecutive repeats merged. A chain is entered when
 * it has an event or when a rule jumped (or went) to it: the kernel emits nothing for a chain in
 * which no rule matched (not even the implicit return), so an empty KUBE-SEP chain shows only as
 * the target of KUBE-SVC's jump. Without `table`, all tables except our own trace table. */
export function chainPath(packet: TracePacket, table?: string): string[] {
  const path: string[] = [];
  const push = (c: string) => {
    if (path[path.length - 1] !== c) path.push(c);
  };
  for (const ev of packet.events) {
    if (table !== undefined ? ev.table !== table : ev.table === TRACE_TABLE) continue;
    push(ev.chain);
    const target = ev.verdict ? /^(?:jump|goto) (\S+)$/.exec(ev.verdict)?.[1] : undefined;
    if (target) push(target);
  }
  return path;
}

/** A chain glob of the lab file (`*`, `?`) as a regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function formatPath(path: string[]): string {
  return path.length > 0 ? path.join(' -> ') : '(no chain)';
}

/** True when the expected chain names (globs: `*`, `?`) occur in `actual` in this order, not
 * necessarily adjacent. The detail names the first expected chain that was not reached. */
export function matchChainPath(actual: string[], expected: string[]): { ok: boolean; detail: string } {
  let from = 0;
  const matched: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const re = globToRegExp(expected[i]);
    const at = actual.findIndex((c, j) => j >= from && re.test(c));
    if (at < 0) {
      const after = matched.length > 0 ? ` after ${matched[matched.length - 1]}` : '';
      const elsewhere = actual.some((c) => re.test(c)) ? ` (it appears only before ${matched[matched.length - 1]}, out of order)` : '';
      return {
        ok: false,
        detail: `expected chain ${expected[i]} (${i + 1} of ${expected.length})${after} was not traversed${elsewhere}; expected ${formatPath(expected)}, actual path: ${formatPath(actual)}`,
      };
    }
    matched.push(actual[at]);
    from = at + 1;
  }
  return { ok: true, detail: `traversed ${formatPath(matched)} (path: ${formatPath(actual)})` };
}

/** Chain-traversal check of an expectation: the first traced packet of the flow whose path
 * contains the expected chains in order passes; otherwise the detail shows the path of the
 * first traced packet. `traces[k]` are the packets traced on the node of `e.chains[k]`. */
export function judgeChains(e: Pick<ExpectationSpec, 'chains'>, traces: TracePacket[][]): HopResult[] {
  return e.chains.map((c, k) => {
    const packets = traces[k] ?? [];
    const at = `${c.node} ${c.table} chains`;
    const trace = (actual: string[]) => ({ node: c.node, ...(c.table ? { table: c.table } : {}), expected: c.path, actual });
    if (packets.length === 0)
      return { at, chain: true, passed: false, seen: 0, absent: false, trace: trace([]), detail: `no packet of the flow was traced on ${c.node}` };
    const paths = packets.map((p) => chainPath(p, c.table)).filter((x) => x.length > 0);
    const verdicts = paths.map((path) => matchChainPath(path, c.path));
    const ok = verdicts.findIndex((v) => v.ok);
    return {
      at,
      chain: true,
      passed: ok >= 0,
      trace: trace(paths[ok >= 0 ? ok : 0] ?? []),
      seen: packets.length,
      absent: false,
      detail: (verdicts[ok >= 0 ? ok : 0] ?? { detail: 'no chain of that table was traversed' }).detail,
    };
  });
}
