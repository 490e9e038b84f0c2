// Pod addresses, the way the lab's pod network allocates them: host-local IPAM from the node's
// podCIDR (flannel's CNI plugin, Canal), or Calico IPAM's /26 blocks claimed per node on demand
// (the node's podCIDR is still assigned by the node IPAM controller; Calico ignores it).
import type { PathProblem } from '../labfile/validate.js';
import type { PodManifest } from '../k8s/pod.js';
import { allocatePodIPs } from './ipam.js';
import { allocateCalicoIPs, CALICO_DEFAULT_BLOCK_SIZE } from './calico-ipam.js';
import type { PodNetworkIpam } from './pod-networks.js';
import type { ClusterModel, Node, Pod } from './types.js';

export interface PodRequests {
  podNetwork: PodNetworkIpam;
  podCIDR: string;
  /** The Calico IPPool's blockSize, when the lab has one. */
  blockSize?: number;
  nodes: Node[];
  /** Pods as written (with their node: this is the path without a scheduler), with their index in the lab file's manifests. */
  pods: { index: number; pod: PodManifest & { nodeName: string } }[];
  pinnedIpPath: (index: number) => (string | number)[];
}

export type PodAddresses =
  { ok: true; pods: Pod[]; calicoBlocks?: ClusterModel['calicoBlocks']; calicoTunnels?: Record<string, string> } | { ok: false; problems: PathProblem[] };

const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** Every pod with its address (sorted by namespace/name); resolver is filled in by the caller. */
export function resolvePods(r: PodRequests): PodAddresses {
  let calico: { ips: Map<string, string>; blocks: ClusterModel['calicoBlocks']; tunnels: Record<string, string> } | undefined;
  if (r.podNetwork.ipam === 'calico') {
    const order = [...r.pods].sort((a, b) => key(a.pod).localeCompare(key(b.pod)));
    // In IP-in-IP mode calico-node claims each node's tunnel address from IPAM when it starts,
    // before any pod of the node (node/pkg/allocateip: the "ipip-tunnel-addr" handle).
    const tunnels = r.podNetwork.tunnelAddresses ? r.nodes.map((n) => ({ node: n.name, pod: `tunnel:${n.name}` })) : [];
    const alloc = allocateCalicoIPs({ cidr: r.podCIDR, blockSize: r.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE }, [
      ...tunnels,
      ...order.map((m) => ({ node: m.pod.nodeName, pod: key(m.pod), pinned: m.pod.pinnedIp })),
    ]);
    if (!alloc.ok) return { ok: false, problems: [{ path: ['cluster', 'podCIDR'], message: alloc.message, fix: 'use a larger pod network or fewer pods' }] };
    calico = { ips: alloc.ips, blocks: alloc.blocks, tunnels: Object.fromEntries(tunnels.map((t) => [t.node, alloc.ips.get(t.pod)!])) };
  }
  const pods: Pod[] = [];
  const problems: PathProblem[] = [];
  for (const node of r.nodes) {
    const mine = r.pods.filter((m) => m.pod.nodeName === node.name);
    const alloc = calico
      ? { ok: true as const, value: calico.ips }
      : allocatePodIPs(
          node.podCIDR,
          mine.map((m) => ({ key: key(m.pod), pinned: m.pod.pinnedIp })),
        );
    if (!alloc.ok) {
      const bad = mine[alloc.index];
      const path = bad.pod.pinnedIp ? r.pinnedIpPath(bad.index) : ['manifests', bad.index, 'metadata', 'name'];
      problems.push({ path, message: `pod "${bad.pod.name}" on node "${node.name}": ${alloc.message}`, fix: alloc.fix });
      continue;
    }
    for (const { pod } of mine) {
      pods.push({
        name: pod.name,
        namespace: pod.namespace,
        labels: pod.labels,
        nodeName: node.name,
        ip: alloc.value.get(key(pod))!,
        ipSource: pod.pinnedIp ? 'pinned' : 'allocated',
        ready: pod.ready,
        dnsPolicy: pod.dnsPolicy,
        dnsConfig: pod.dnsConfig,
        resolver: { nameservers: [], searches: [], options: [] },
        containers: pod.containers,
        volumes: pod.volumes,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  pods.sort((a, b) => key(a).localeCompare(key(b)));
  return { ok: true, pods, calicoBlocks: calico?.blocks, calicoTunnels: calico?.tunnels };
}
