// `lab graph` as Mermaid (the default: it pastes into GitHub Markdown and renders there): a
// flowchart with one subgraph per namespace (pods inside their node), one box per device.
import { childrenOf, deviceLines, groupLines, idMaker } from './labels.js';
import type { LinkKind, TopoDevice, TopoGroup, Topology } from './types.js';

/** Text inside a quoted Mermaid label: quotes and angle brackets as entity codes. */
export function mermaidText(s: string): string {
  return s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

const label = (lines: string[]) => `"${lines.map(mermaidText).join('<br/>')}"`;

const SHAPE: Partial<Record<TopoDevice['kind'], [string, string]>> = { stack: ['([', '])'], service: ['{{', '}}'], bridge: ['[[', ']]'] };

const ARROW: Record<LinkKind, string> = { veth: '---', port: '---', stack: '-.-', encap: '===', tunnel: '-.-', endpoint: '-.-' };

export function renderMermaid(t: Topology): string {
  const node = idMaker('n_');
  const sub = idMaker('g_');
  const out = ['flowchart TB'];
  const emitGroup = (g: TopoGroup, depth: number) => {
    const pad = '  '.repeat(depth);
    out.push(`${pad}subgraph ${sub(g.id)}[${label(groupLines(g))}]`);
    for (const d of t.devices.filter((x) => x.group === g.id)) {
      const [open, close] = SHAPE[d.kind] ?? ['[', ']'];
      out.push(`${pad}  ${node(d.id)}${open}${label(deviceLines(d))}${close}`);
    }
    for (const c of childrenOf(t, g.id)) emitGroup(c, depth + 1);
    out.push(`${pad}end`);
  };
  for (const g of childrenOf(t, undefined)) emitGroup(g, 1);
  for (const l of t.links) {
    const text = l.label ? `|${label([l.label])}|` : '';
    out.push(`  ${node(l.a)} ${ARROW[l.kind]}${text} ${node(l.b)}`);
  }
  return out.join('\n') + '\n';
}
