// A small model of iptables-restore --noflush for tests of partial syncs: the tables as chain ->
// rules, changed by the lines these syncs write, and a normal form that ignores the order of
// rules in the top-level chains (their per-service rules match disjoint destinations).
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from '../iptables.js';
import { toRestoreText } from '../iptables-restore.js';
import { isServiceChainName } from '../iptables-names.js';

export type Tables = Map<string, Map<string, string[]>>;

/** The kube-proxy chain a rule jumps or goes to, which must exist when the rule is added. */
const targetChain = (line: string) => / -[jg] (KUBE-\S+)/.exec(line)?.[1];

/** iptables-restore --noflush, as far as these texts use it: ":C" flushes or creates, -A, -I N,
 * -D, -X. As the tool, it refuses a rule for, or a jump to, a chain not declared (or existing) yet. */
export function applyRestore(tables: Tables, text: string): void {
  let t: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const target = targetChain(line);
    if (target && (line.startsWith('-A ') || line.startsWith('-I ')) && !t!.has(target)) throw new Error(`jump to missing chain ${target}: ${line}`);
    if (line.startsWith('*')) {
      if (!tables.has(line.slice(1))) tables.set(line.slice(1), new Map());
      t = tables.get(line.slice(1))!;
    } else if (line.startsWith(':')) t!.set(line.slice(1).split(' ')[0], []);
    else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1];
      if (!t!.has(chain)) throw new Error(`-A to missing chain ${chain}`);
      t!.get(chain)!.push(line);
    } else if (line.startsWith('-I ')) {
      const [, chain, pos, ...rest] = line.split(' ');
      if (!t!.has(chain)) t!.set(chain, []); // built-in chains exist already
      t!.get(chain)!.splice(Number(pos) - 1, 0, `-A ${chain} ${rest.join(' ')}`);
    } else if (line.startsWith('-D ')) {
      const chain = line.split(' ')[1];
      const rules = t!.get(chain)!;
      const i = rules.indexOf(line.replace(/^-D /, '-A '));
      if (i < 0) throw new Error(`-D of a missing rule: ${line}`);
      rules.splice(i, 1);
    } else if (line.startsWith('-X ')) {
      const chain = line.slice(3);
      if ((t!.get(chain) ?? []).length > 0) throw new Error(`-X of non-empty chain ${chain}`);
      for (const rules of t!.values()) if (rules.some((r) => r.endsWith(`-j ${chain}`))) throw new Error(`-X of referenced chain ${chain}`);
      t!.delete(chain);
    }
  }
}

export function normalized(tables: Tables): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [name, chains] of tables) {
    out[name] = {};
    for (const [c, rules] of chains) out[name][c] = isServiceChainName(c) ? rules : [...rules].sort();
  }
  return out;
}

export function fullState(input: KubeProxyIptablesInput): Tables {
  const t: Tables = new Map();
  applyRestore(t, toRestoreText(renderKubeProxyRuleset(input)));
  return t;
}
