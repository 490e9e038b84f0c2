// The plan for labs/flannel-vxlan.yaml: only namespaces of the lab, devices before their use.
// The commands it becomes are pinned by kernel/commands.test.ts's golden dry run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../labfile/load.js';
import { resolveModel } from '../model/resolve.js';
import type { ClusterModel } from '../model/types.js';
import { opCount, planLab } from './plan-lab.js';
import type { Op } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');

function flannelModel(): ClusterModel {
  return resolveModel(parseLabSource(readFileSync(join(root, 'labs/flannel-vxlan.yaml'), 'utf8'), 'flannel-vxlan.yaml'));
}

describe('planLab: labs/flannel-vxlan.yaml', () => {
  it('is deterministic: two models, one plan', () => {
    expect(planLab(flannelModel())).toEqual(planLab(flannelModel()));
  });

  it('creates the namespaces first and only ones owned by the lab', () => {
    const plan = planLab(flannelModel());
    expect(plan.steps[0].name).toBe('namespaces');
    expect(plan.steps[0].ops.every((o) => o.kind === 'netns')).toBe(true);
    expect(plan.steps[0].ops.map((o) => (o as { netns: string }).netns)).toEqual(plan.namespaces.map((n) => n.netns));
    expect(plan.namespaces.map((n) => n.netns)).toEqual([
      'wl-flannel-vxlan.underlay',
      'wl-flannel-vxlan.cp1',
      'wl-flannel-vxlan.w1',
      'wl-flannel-vxlan.w2',
      'wl-flannel-vxlan.pod-a',
      'wl-flannel-vxlan.pod-b',
      'wl-flannel-vxlan.pod-d',
    ]);
    const used = plan.steps.flatMap((s) => s.ops).flatMap((o) => ('netns' in o ? [o.netns] : []));
    for (const ns of [...used, ...plan.processes.map((p) => p.netns)]) expect(ns.startsWith('wl-flannel-vxlan.'), ns).toBe(true);
    // Every namespace an op runs in is created by the first step.
    expect(new Set(used)).toEqual(new Set(plan.namespaces.map((n) => n.netns)));
  });

  it('builds devices before using them: the underlay before node addresses, veths before pod addresses', () => {
    const plan = planLab(flannelModel());
    const stepOf = (pred: (o: Op) => boolean) => plan.steps.findIndex((s) => s.ops.some(pred));
    const args = (o: Op) => ('args' in o ? o.args.join(' ') : '');
    const underlayVeth = stepOf((o) => args(o).startsWith('link add p-w1 '));
    const nodeAddr = stepOf((o) => args(o) === 'addr add 10.10.20.4/22 dev eth0');
    const podVeth = stepOf((o) => / netns wl-flannel-vxlan\.pod-a$/.test(args(o)) && o.kind === 'ip' && o.netns === 'wl-flannel-vxlan.w1');
    const podAddr = stepOf((o) => args(o) === 'addr add 10.8.0.5/24 dev eth0');
    expect(underlayVeth).toBeGreaterThan(0);
    expect(nodeAddr).toBeGreaterThan(underlayVeth);
    expect(podVeth).toBeGreaterThanOrEqual(nodeAddr);
    expect(podAddr).toBeGreaterThan(podVeth);
    expect(opCount(plan)).toBe(plan.steps.reduce((n, s) => n + s.ops.length, 0));
    expect(plan.processes.map((p) => p.name)).toEqual(['pod-a/pause', 'pod-a/hostname', 'pod-b/pause', 'pod-b/hostname', 'pod-d/pause', 'pod-d/hostname']);
  });
});

describe('planLab: netem on the underlay', () => {
  it('puts one netem qdisc on every node port of the switch, with the delay and loss the lab asks for', () => {
    const text = readFileSync(join(root, 'labs/mtu-and-loss.yaml'), 'utf8');
    const plan = planLab(resolveModel(parseLabSource(text, 'mtu-and-loss.yaml')));
    const tc = plan.steps.flatMap((s) => s.ops).filter((o) => o.kind === 'tc');
    expect(tc.map((o) => (o.kind === 'tc' ? `${o.netns}: ${o.args.join(' ')}` : ''))).toEqual([
      'wl-mtu-and-loss.underlay: qdisc add dev p-w1 root netem delay 10ms loss 2%',
      'wl-mtu-and-loss.underlay: qdisc add dev p-w2 root netem delay 10ms loss 2%',
    ]);
  });
});
