// State checks after a probe: every `contains` fragment is in what the node printed (its routes,
// BIRD's protocols) and no `lacks` one is.
import type { ExpectationSpec, StateView } from '../labfile/schema.js';
import type { HopResult } from './hops.js';

const STATE_LABEL: Record<StateView, string> = {
  routes: 'routes',
  bgp: 'BGP sessions',
  ipvs: 'IPVS virtual servers',
  ipsets: 'ip sets',
  nftables: 'nftables table kube-proxy',
};

export function judgeStates(e: Pick<ExpectationSpec, 'state'>, outputs: string[]): HopResult[] {
  return e.state.map((c, k) => {
    const out = outputs[k] ?? '';
    const missing = c.contains.filter((x) => !out.includes(x));
    const unwanted = c.lacks.filter((x) => out.includes(x));
    const at = `${c.node} ${STATE_LABEL[c.show]}`;
    const passed = missing.length === 0 && unwanted.length === 0;
    const shown = out
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .slice(0, 8)
      .join(' | ');
    const detail = passed
      ? `${[...c.contains.map((x) => `has "${x}"`), ...c.lacks.map((x) => `lacks "${x}"`)].join(', ')}`
      : `${[...missing.map((x) => `missing "${x}"`), ...unwanted.map((x) => `unexpected "${x}"`)].join(', ')} in: ${shown}`;
    return { at, chain: true, passed, seen: passed ? 1 : 0, absent: false, detail };
  });
}
