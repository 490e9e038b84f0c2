// The topology as Graphviz DOT: what `lab graph --format dot` prints and what the report page's
// SVG is laid out from (topology/layout.ts). Namespaces are clusters (pods nested in their
// node); links point from the pod side down to the underlay, so `dot` layers pods on top,
// nodes in the middle and the switch at the bottom. Overlay tunnels and Service endpoints do
// not constrain the layers. Every element carries an id and a class, so the page can find it.
import { childrenOf, deviceLines, groupLines, idMaker } from './labels.js';
import type { DeviceKind, GroupKind, LinkKind, TopoGroup, Topology } from './types.js';

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const GROUP_FILL: Record<GroupKind, string> = {
  underlay: '#f2f2f2',
  node: '#eaf1fb',
  pod: '#eef8ee',
  outside: '#fdf3e6',
  internet: '#fdf3e6',
  services: '#f4effb',
};

const DEVICE_STYLE: Record<DeviceKind, string> = {
  stack: 'shape=ellipse, style="filled,dashed", fillcolor="#fffbe6", color="#b8a04a"',
  eth: 'fillcolor="#ffffff"',
  veth: 'fillcolor="#ffffff"',
  loopback: 'fillcolor="#ffffff"',
  bridge: 'fillcolor="#fff3cf"',
  vxlan: 'fillcolor="#dde8fb", color="#3b6fd1"',
  ipip: 'fillcolor="#dde8fb", color="#3b6fd1"',
  dummy: 'fillcolor="#f4effb"',
  service: 'shape=hexagon, fillcolor="#ffffff", color="#8a6bc4"',
};

const LINK_STYLE: Record<LinkKind, string> = {
  veth: 'color="#666666", penwidth=1.4',
  port: 'color="#666666"',
  stack: 'color="#b8a04a", style=dashed',
  encap: 'color="#3b6fd1", penwidth=2',
  tunnel: 'color="#3b6fd1", style=dashed, penwidth=1.6, constraint=false, fontcolor="#3b6fd1"',
  endpoint: 'color="#8a6bc4", style=dotted, constraint=false',
};

/** DOT identifiers of the topology's elements (also the SVG element ids of the page). */
export interface DotIds {
  device: (id: string) => string;
  link: (id: string) => string;
  group: (id: string) => string;
}

export function dotIds(): DotIds {
  return { device: idMaker('d_'), link: idMaker('l_'), group: idMaker('g_') };
}

function htmlLabel(lines: string[], bold = true): string {
  const [first, ...rest] = lines.map(html);
  return `<${bold ? `<B>${first}</B>` : first}${rest.map((l) => `<BR/><FONT POINT-SIZE="8">${l}</FONT>`).join('')}>`;
}

export function renderDot(t: Topology, ids: DotIds = dotIds()): string {
  const out = [
    `digraph ${quote(t.lab)} {`,
    `  graph [rankdir=TB, newrank=true, nodesep=0.18, ranksep=0.32, fontname="Helvetica", fontsize=11, labelloc=t, label=${quote(`${t.lab}: ${t.description}`)}, bgcolor="transparent"];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, height=0.3, margin="0.14,0.04", color="#555555"];',
    '  edge [dir=none, fontname="Helvetica", fontsize=8, arrowsize=0.6];',
  ];
  const emitGroup = (g: TopoGroup, depth: number) => {
    const pad = '  '.repeat(depth);
    out.push(`${pad}subgraph cluster_${ids.group(g.id)} {`);
    out.push(
      `${pad}  id=${quote(ids.group(g.id))}; class=${quote(`group ${g.kind}`)}; label=${htmlLabel(groupLines(g))}; style="rounded,filled"; fillcolor=${quote(GROUP_FILL[g.kind])}; color="#9aa5b1"; fontsize=10; margin=8;`,
    );
    for (const d of t.devices.filter((x) => x.group === g.id))
      out.push(
        `${pad}  ${quote(d.id)} [id=${quote(ids.device(d.id))}, class=${quote(`device ${d.kind}`)}, tooltip=${quote(d.id)}, label=${htmlLabel(deviceLines(d), d.kind !== 'stack')}, ${DEVICE_STYLE[d.kind]}];`,
      );
    for (const c of childrenOf(t, g.id)) emitGroup(c, depth + 1);
    out.push(`${pad}}`);
  };
  for (const g of childrenOf(t, undefined)) emitGroup(g, 1);
  // Services one under the other (invisible edges give each its own layer): a row of them
  // would make the drawing as wide as all their labels.
  const services = t.devices.filter((d) => d.kind === 'service');
  for (let i = 1; i < services.length; i++) out.push(`  ${quote(services[i - 1].id)} -> ${quote(services[i].id)} [style=invis];`);
  for (const l of t.links)
    out.push(
      `  ${quote(l.a)} -> ${quote(l.b)} [id=${quote(ids.link(l.id))}, class=${quote(`link ${l.kind}`)}, tooltip=${quote(`${l.a} — ${l.b}${l.label ? `: ${l.label}` : ''}`)}, ${LINK_STYLE[l.kind]}];`,
    );
  out.push('}');
  return out.join('\n') + '\n';
}
