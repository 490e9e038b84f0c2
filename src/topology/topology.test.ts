// The topology of every lab in labs/: snapshot-tested as text (groups, devices with their
// addresses, links), and its renderings: Mermaid read by a strict checker, DOT laid out by
// Graphviz itself, both with every device and link of the graph.
import { describe, expect, it } from 'vitest';
import { labNames, labTopology, topologyText } from './testing/labs.js';
import { checkMermaid } from './testing/mermaid-check.js';
import { renderMermaid } from './mermaid.js';
import { dotIds, renderDot } from './dot.js';
import { layoutSvg } from './layout.js';

const labs = await labNames();

describe('the topology of each lab', () => {
  it('covers every lab but the comparisons', () => {
    expect(labs).toContain('flannel-vxlan');
    expect(labs).not.toContain('compare-backends');
    expect(labs.length).toBeGreaterThanOrEqual(19);
  });

  it.each(labs)('%s: groups, devices and links', async (lab) => {
    const t = await labTopology(lab);
    await expect(topologyText(t)).toMatchFileSnapshot(`__snapshots__/${lab}.txt`);
    // Every link joins two devices of the graph; every device sits in a group.
    const ids = new Set(t.devices.map((d) => d.id));
    for (const l of t.links) expect([ids.has(l.a), ids.has(l.b)], `${l.a} -- ${l.b}`).toEqual([true, true]);
    for (const d of t.devices)
      expect(
        t.groups.some((g) => g.id === d.group),
        d.id,
      ).toBe(true);
  });

  it.each(labs)('%s: Mermaid has every group, device and link', async (lab) => {
    const t = await labTopology(lab);
    const g = checkMermaid(renderMermaid(t));
    expect(g.subgraphs.size).toBe(t.groups.length);
    expect(g.nodes.size).toBe(t.devices.length);
    expect(g.edges.length).toBe(t.links.length);
  });

  it.each(labs)('%s: DOT is laid out by Graphviz with every device and link', async (lab) => {
    const t = await labTopology(lab);
    const ids = dotIds();
    const svg = await layoutSvg(renderDot(t, ids));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const d of t.devices) expect(svg).toContain(`id="${ids.device(d.id)}"`);
    for (const l of t.links) expect(svg).toContain(`id="${ids.link(l.id)}"`);
    expect(svg).not.toMatch(/<image|xlink:href="http|href="http/);
  });
});

describe('flannel-vxlan', () => {
  it('has the seed 004 picture: cni0 and flannel.1 per node, pod veths on cni0, VXLAN tunnels over eth0 between every pair of nodes', async () => {
    const t = await labTopology('flannel-vxlan');
    const dev = (id: string) => t.devices.find((d) => d.id === id);
    expect(dev('w1/flannel.1')).toMatchObject({ kind: 'vxlan', addresses: ['10.8.0.0/32'], detail: 'VXLAN VNI 1 · UDP 8472 · MTU 1450' });
    expect(dev('w1/cni0')).toMatchObject({ kind: 'bridge', addresses: ['10.8.0.1/24'] });
    expect(dev('pod-d/eth0')).toMatchObject({ group: 'pod-d', addresses: ['10.8.1.10/24'] });
    expect(t.groups.find((g) => g.id === 'pod-d')?.parent).toBe('w2');
    const tunnels = t.links.filter((l) => l.kind === 'tunnel').map((l) => `${l.a} ${l.b}`);
    expect(tunnels).toEqual(['cp1/flannel.1 w1/flannel.1', 'cp1/flannel.1 w2/flannel.1', 'w1/flannel.1 w2/flannel.1']);
    expect(t.links.filter((l) => l.kind === 'encap').map((l) => `${l.a} ${l.b}`)).toContain('w1/flannel.1 w1/eth0');
  });
});
