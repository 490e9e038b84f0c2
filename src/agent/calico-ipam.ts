// Calico IPAM as node agents run it, with the API as the datastore (Calico's Kubernetes
// datastore mode): a node claims a block of the pool by creating its IPAMBlock object, which
// only one node can do (a create of an existing name fails: 409), plus a BlockAffinity naming
// the node; pods get addresses from the node's own blocks. The pure parts (which address, which
// block to claim) are functions here; the agent does the writes.
//
// Matched to libcalico-go v3.30 lib/ipam (ipam.go autoAssign and AssignIP, ipam_block.go) and
// lib/backend/k8s/resources (IPAMBlock and BlockAffinity names: the CIDR with '.' and '/' as
// '-', the affinity "host:<node>"), with model/calico-ipam.ts's deterministic choices: blocks are
// claimed in pool order from the first, addresses are the lowest free. Unlike upstream, the
// block objects do not carry each address's allocation (the node keeps those, like host-local):
// one node writes to a block, so nothing is lost.
import { type K8sObject } from '../api/client.js';
import { containsIp, formatCidr, intToIp, ipToInt, isValidIpv4, nthSubnet, parseCidr } from '../net/cidr.js';
import type { CalicoBlock, CalicoPool } from '../model/calico-ipam.js';

/** An IPAMBlock's object name: "10.8.0.64/26" -> "10-8-0-64-26". */
export const blockObjectName = (cidr: string) => cidr.replace(/[./]/g, '-');

export function blocksFromApi(objects: readonly K8sObject[]): CalicoBlock[] {
  return objects
    .map((o) => o.spec as { cidr?: string; affinity?: string } | undefined)
    .filter((s): s is { cidr: string; affinity: string } => typeof s?.cidr === 'string' && typeof s.affinity === 'string' && s.affinity.startsWith('host:'))
    .map((s) => ({ cidr: s.cidr, node: s.affinity.slice('host:'.length) }))
    .sort((a, b) => ipToInt(a.cidr.split('/')[0]) - ipToInt(b.cidr.split('/')[0]));
}

export function ipamBlockObject(cidr: string, node: string): Record<string, unknown> {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPAMBlock',
    metadata: { name: blockObjectName(cidr) },
    spec: { cidr, affinity: `host:${node}`, strictAffinity: false, allocations: [], unallocated: [], attributes: [], deleted: false },
  };
}

export function blockAffinityObject(cidr: string, node: string): Record<string, unknown> {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'BlockAffinity',
    metadata: { name: `${node}-${blockObjectName(cidr)}` },
    spec: { node, cidr, state: 'confirmed', deleted: 'false' },
  };
}

export type IpChoice = { ip: string } | { claim: string } | { error: string };

/** The address for a pod on `node`: the lowest free one of its blocks (or the pinned one), or
 * the block to claim first, or why there is none. `used`: addresses the node has handed out;
 * `released`: addresses given back, oldest first, which ipam_block.go puts at the back of the
 * unallocated list: they come last, the oldest of them first. */
export function chooseAddress(
  pool: CalicoPool,
  blocks: readonly CalicoBlock[],
  node: string,
  used: ReadonlySet<string>,
  pinned?: string,
  released: readonly string[] = [],
): IpChoice {
  const p = parseCidr(pool.cidr);
  const blockLen = 2 ** (32 - pool.blockSize);
  const blockOf = (ip: string) => formatCidr(nthSubnet(p, pool.blockSize, Math.floor((ipToInt(ip) - p.base) / blockLen)));
  if (pinned !== undefined) {
    if (!isValidIpv4(pinned) || !containsIp(p, pinned)) return { error: `${pinned} is not in the IP pool ${pool.cidr}` };
    const b = blocks.find((x) => x.cidr === blockOf(pinned));
    if (!b) return { claim: blockOf(pinned) };
    if (b.node !== node) return { error: `${pinned} is in block ${b.cidr}, which is affine to node ${b.node}, not ${node}` };
    return used.has(pinned) ? { error: `${pinned} is already assigned ("Address already assigned in block")` } : { ip: pinned };
  }
  const back = new Set(released);
  for (const b of blocks.filter((x) => x.node === node)) {
    const base = ipToInt(b.cidr.split('/')[0]);
    for (let i = 0; i < blockLen; i++) if (!used.has(intToIp(base + i)) && !back.has(intToIp(base + i))) return { ip: intToIp(base + i) };
  }
  const mine = (ip: string) => blocks.some((b) => b.node === node && b.cidr === blockOf(ip));
  const again = released.find((ip) => !used.has(ip) && mine(ip));
  if (again) return { ip: again };
  const taken = new Set(blocks.map((b) => b.cidr));
  const count = 2 ** (pool.blockSize - p.prefix);
  for (let i = 0; i < count; i++) {
    const cidr = formatCidr(nthSubnet(p, pool.blockSize, i));
    if (!taken.has(cidr)) return { claim: cidr };
  }
  return { error: `IP pool ${pool.cidr} has no free /${pool.blockSize} block left for node ${node}` };
}
