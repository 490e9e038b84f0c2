// A full sync's iptables-restore input, streamed: rendered in steps while iptables-restore reads
// it, so the tool parses the first services while the renderer writes the next ones. The text
// holds the same lines as toRestoreText's (upstream's layout), in another order that builds the
// same tables:
// - the nat table comes first, and each step's chains are declared right before that step's
//   rules (iptables-restore needs a chain declared before a rule is added to it or jumps to it,
//   not every chain before every rule); each chain's rules keep their order;
// - the filter table comes second, whole: its rules for services without endpoints are known only
//   once every service is written. Each table is its own commit in either order.
// The tables after the restore are the same (a unit test applies both texts to a model of
// iptables-restore, a kernel test to two namespaces and compares iptables-save).
import type { KubeProxyRuleset } from './iptables-chains.js';
import { isServiceChainName } from './iptables-names.js';
import { tableLines, type RestoreAdditions } from './iptables-restore.js';
import { rulesetWriter, type KubeProxyIptablesInput } from './iptables.js';
import { StreamedText } from '../streamed-text.js';

export interface StreamedSync {
  text: StreamedText;
  totalEndpoints: number;
  largeClusterMode: boolean;
  /** The ruleset; renders whatever of the text is not rendered yet. */
  ruleset(): KubeProxyRuleset;
}

/** A full sync's restore input, rendered as it is read. `deleteChains`: stale service chains of
 * the last sync, deleted at the end of the nat table; `additions`: as toRestoreText's. */
export function streamFullSync(input: KubeProxyIptablesInput, opts: { deleteChains?: Iterable<string>; additions?: RestoreAdditions } = {}): StreamedSync {
  const { ctx, steps } = rulesetWriter(input, true);
  let ruleset: KubeProxyRuleset | undefined;
  const declare = (chains: Iterable<string>) => [...chains].map((c) => `:${c} - [0:0]`);
  const chunk = (lines: string[]) => (lines.length > 0 ? lines.join('\n') + '\n' : '');
  function* produce(): Generator<string, void, undefined> {
    yield chunk(opts.additions?.tables ?? []);
    const head = ['*nat', ...declare(opts.additions?.chains.nat ?? [])];
    for (;;) {
      const step = steps.next();
      const lines = ctx.nat.drain();
      if (step.done) {
        ruleset = step.value;
        const stale = [...new Set(opts.deleteChains ?? [])].filter((c) => isServiceChainName(c) && !step.value.tables.nat.has(c));
        yield chunk([...lines, ...declare(stale), ...stale.map((c) => `-X ${c}`), ...(opts.additions?.rules.nat ?? []), 'COMMIT']);
        break;
      }
      yield chunk(head.length > 0 ? head.splice(0).concat(lines) : lines);
    }
    const filter: string[] = [];
    tableLines(filter, 'filter', ruleset.tables.filter, [...ruleset.tables.filter.keys()], [], opts.additions);
    yield chunk(filter);
  }
  const text = new StreamedText(produce);
  return {
    text,
    totalEndpoints: ctx.totalEndpoints,
    largeClusterMode: ctx.largeClusterMode,
    ruleset: () => {
      text.toString();
      return ruleset!;
    },
  };
}
