// Test helpers: a lab of labs/ as its topology, and the topology as text for snapshots.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../paths.js';
import { parseLab } from '../../labfile/load.js';
import { peekLabFile } from '../../labfile/peek.js';
import { resolveModel } from '../../model/resolve.js';
import { topologyPlan } from '../../plan/plan-lab.js';
import { buildTopology, expectationPoints } from '../build.js';
import type { Topology } from '../types.js';

/** The labs of labs/ (comparisons, which run other labs, left out). */
export async function labNames(): Promise<string[]> {
  const names = readdirSync(join(REPO_ROOT, 'labs'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
  const kinds = await Promise.all(names.map(async (n) => (await peekLabFile(n)).kind));
  return names.filter((_, i) => kinds[i] !== 'comparison');
}

export async function labTopology(name: string): Promise<Topology> {
  const loaded = await parseLab(name);
  const model = resolveModel(loaded);
  return buildTopology(model, topologyPlan(model), expectationPoints(loaded.spec.expectations));
}

/** One line per group, device and link: what a reviewer reads in a snapshot diff. */
export function topologyText(t: Topology): string {
  const lines = [`lab ${t.lab}`];
  for (const g of t.groups) {
    lines.push(`${g.kind} ${g.id}${g.parent ? ` in ${g.parent}` : ''}: ${[g.label, ...g.detail].join(' | ')}`);
    for (const d of t.devices.filter((x) => x.group === g.id))
      lines.push(`  ${d.kind} ${d.id}${d.addresses.length ? ` ${d.addresses.join(' ')}` : ''}${d.detail ? ` (${d.detail})` : ''}`);
  }
  for (const l of t.links) lines.push(`${l.kind} ${l.a} -- ${l.b}${l.label ? ` (${l.label})` : ''}`);
  return lines.join('\n') + '\n';
}

/** flannel-vxlan's cross-node walk (pod-a -> pod-d) device by device, as its hops imply it: the
 * unit tests compute it, the browser tests find it lit on the page. */
export const FLANNEL_CROSS_NODE_PATH = [
  'pod-a/eth0',
  'w1/veth71866a09',
  'w1/cni0',
  'stack:w1',
  'w1/flannel.1',
  'w1/eth0',
  'underlay/p-w1',
  'underlay/br0',
  'underlay/p-w2',
  'w2/eth0',
  'w2/flannel.1',
  'stack:w2',
  'w2/cni0',
  'w2/vethf8f7afdc',
  'pod-d/eth0',
];
