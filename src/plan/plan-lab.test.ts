// The plan for labs/flannel-vxlan.yaml against a reviewed golden listing, plus the grouping
// and quoting rules the apply step relies on.
// Regenerate the golden after an intended change with: WIRELAB_UPDATE_GOLDEN=1 npx vitest run --project unit src/plan
// and read the diff before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../labfile/load.js';
import { resolveModel } from '../model/resolve.js';
import type { ClusterModel } from '../model/types.js';
import { AGNHOST_SCRIPT } from './workloads/containers.js';
import { opCount, planLab } from './plan-lab.js';
import { batchLine, batchToken, groupStep, renderPlan } from '../kernel/commands.js';
import type { Op, Step } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const GOLDEN = join(here, '__golden__/flannel-vxlan.plan.txt');

function flannelModel(): ClusterModel {
  return resolveModel(parseLabSource(readFileSync(join(root, 'labs/flannel-vxlan.yaml'), 'utf8'), 'flannel-vxlan.yaml'));
}

/** The processes section names this machine's node binary and checkout: make them portable. */
function normalise(text: string): string {
  return text.split(process.execPath).join('$NODE').split(AGNHOST_SCRIPT).join('$REPO/images/agnhost/agnhost.mjs');
}

describe('planLab golden: labs/flannel-vxlan.yaml', () => {
  it('renders exactly the reviewed plan', () => {
    const actual = normalise(renderPlan(planLab(flannelModel())));
    expect(actual).not.toContain(root); // nothing machine-specific is left
    if (process.env.WIRELAB_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('is deterministic: two models, two plans, one text', () => {
    const a = renderPlan(planLab(flannelModel()));
    const b = renderPlan(planLab(flannelModel()));
    expect(b).toBe(a);
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

describe('groupStep', () => {
  const step: Step = {
    name: 't',
    ops: [
      { kind: 'netns', netns: 'wl-t.a' },
      { kind: 'netns', netns: 'wl-t.b' },
      { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'lo', 'up'] },
      { kind: 'ip', netns: 'wl-t.a', args: ['link', 'add', 'cni0', 'type', 'bridge'] },
      { kind: 'bridge', netns: 'wl-t.a', args: ['fdb', 'replace', '02:00:00:00:00:01', 'dev', 'flannel.1'] },
      { kind: 'ip', netns: 'wl-t.a', args: ['route', 'replace', '10.8.1.0/24', 'via', '10.8.1.0', 'dev', 'flannel.1', 'onlink'] },
      { kind: 'sysctl', netns: 'wl-t.b', key: 'net.ipv4.ip_forward', value: '1' },
      { kind: 'sysctl', netns: 'wl-t.b', key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
      { kind: 'ip', netns: 'wl-t.b', args: ['link', 'set', 'lo', 'up'] },
      { kind: 'file', path: 'nodes/b/x', content: 'y\n' },
    ],
  };

  it('merges consecutive ops of one tool in one namespace into one run, keeping order', () => {
    expect(groupStep(step)).toEqual([
      {
        netns: null,
        runs: [
          { tool: 'netns', names: ['wl-t.a', 'wl-t.b'] },
          { tool: 'file', path: 'nodes/b/x', content: 'y\n' },
        ],
      },
      {
        netns: 'wl-t.a',
        runs: [
          { tool: 'ip', netns: 'wl-t.a', lines: ['link set lo up', 'link add cni0 type bridge'] },
          { tool: 'bridge', netns: 'wl-t.a', lines: ['fdb replace 02:00:00:00:00:01 dev flannel.1'] },
          { tool: 'ip', netns: 'wl-t.a', lines: ['route replace 10.8.1.0/24 via 10.8.1.0 dev flannel.1 onlink'] },
        ],
      },
      {
        netns: 'wl-t.b',
        runs: [
          {
            tool: 'sysctl',
            netns: 'wl-t.b',
            settings: [
              { key: 'net.ipv4.ip_forward', value: '1', optional: false },
              { key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
            ],
          },
          { tool: 'ip', netns: 'wl-t.b', lines: ['link set lo up'] },
        ],
      },
    ]);
  });

  it('keeps a namespace in one group even when other namespaces come between its ops', () => {
    const groups = groupStep({
      name: 'interleaved',
      ops: [
        { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'lo', 'up'] },
        { kind: 'ip', netns: 'wl-t.b', args: ['link', 'set', 'lo', 'up'] },
        { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'eth0', 'up'] },
      ],
    });
    expect(groups.map((g) => g.netns)).toEqual(['wl-t.a', 'wl-t.b']);
    expect(groups[0].runs).toEqual([{ tool: 'ip', netns: 'wl-t.a', lines: ['link set lo up', 'link set eth0 up'] }]);
  });
});

describe('batchToken', () => {
  it('passes names, addresses and MACs through unchanged', () => {
    for (const t of ['flannel.1', '10.8.0.0/24', '02:00:00:00:00:01', 'wl-flannel-vxlan.pod-a', '0x4000/0x4000']) expect(batchToken(t)).toBe(t);
    expect(batchLine(['addr', 'add', '10.8.0.5/24', 'dev', 'eth0'])).toBe('addr add 10.8.0.5/24 dev eth0');
  });

  it('refuses tokens that could split or quote a batch line', () => {
    for (const t of ['', 'a b', 'a\tb', 'a\nb', 'a"b', "a'b", 'a\\b', 'a#b']) {
      expect(() => batchToken(t), JSON.stringify(t)).toThrow(`refusing to put ${JSON.stringify(t)} in a batch line`);
    }
    expect(() => batchLine(['link', 'set', 'eth0 up'])).toThrow(/refusing/);
  });
});
