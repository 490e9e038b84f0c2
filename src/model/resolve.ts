// resolveModel: a validated lab spec -> the complete cluster model (defaults filled in,
// node ranges and pod addresses allocated). Problems that need allocation are returned with
// lab-file paths so the caller can name the line.
import type { LabSpec } from '../spec/schema.js';
import { parsePodManifest } from '../spec/k8s.js';
import type { PathProblem } from '../spec/validate.js';
import { allocateNodeCIDRs, allocatePodIPs } from './ipam.js';
import type { ClusterModel, Node, Pod } from './types.js';
import { parseCidr } from './cidr.js';

export class ModelProblems extends Error {
  constructor(readonly problems: PathProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'ModelProblems';
  }
}

export function resolveModel(spec: LabSpec): ClusterModel {
  const problems: PathProblem[] = [];
  const nodeAlloc = allocateNodeCIDRs(
    spec.cluster.podCIDR,
    spec.cluster.nodeCIDRMaskSize,
    spec.nodes.map((n) => ({ name: n.name, pinned: n.podCIDR })),
  );
  if (!nodeAlloc.ok) throw new ModelProblems([{ path: ['nodes', nodeAlloc.index, 'podCIDR'], message: nodeAlloc.message, fix: nodeAlloc.fix }]);
  const nodes: Node[] = spec.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    ip: n.ip,
    podCIDR: nodeAlloc.value.get(n.name)!,
    podCIDRSource: n.podCIDR ? 'pinned' : 'allocated',
  }));

  const manifests = spec.manifests.map((m, index) => ({ index, pod: parsePodManifest(m).pod! }));
  const pods: Pod[] = [];
  for (const node of nodes) {
    const mine = manifests.filter((m) => m.pod.nodeName === node.name);
    const alloc = allocatePodIPs(node.podCIDR, mine.map((m) => ({ key: `${m.pod.namespace}/${m.pod.name}`, pinned: m.pod.pinnedIp })));
    if (!alloc.ok) {
      const bad = mine[alloc.index];
      const path = bad.pod.pinnedIp ? ['manifests', bad.index, 'metadata', 'annotations', 'wirelab.io/ip'] : ['manifests', bad.index, 'metadata', 'name'];
      problems.push({ path, message: `pod "${mine[alloc.index].pod.name}" on node "${node.name}": ${alloc.message}`, fix: alloc.fix });
      continue;
    }
    for (const { pod } of mine) {
      pods.push({
        name: pod.name,
        namespace: pod.namespace,
        labels: pod.labels,
        nodeName: node.name,
        ip: alloc.value.get(`${pod.namespace}/${pod.name}`)!,
        ipSource: pod.pinnedIp ? 'pinned' : 'allocated',
        containers: pod.containers,
      });
    }
  }
  if (problems.length > 0) throw new ModelProblems(problems);
  pods.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const u = parseCidr(spec.underlay.cidr);
  return {
    lab: spec.name,
    description: spec.description,
    underlay: { cidr: spec.underlay.cidr, prefix: u.prefix, mtu: spec.underlay.mtu },
    network: { ...spec.cluster },
    nodes,
    pods,
  };
}
