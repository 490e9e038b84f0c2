// Address allocation, pure and deterministic.
//
// Node pod ranges follow Kubernetes' range allocator (kubernetes/kubernetes
// pkg/controller/nodeipam/ipam/cidrset/cidr_set.go): ranges already on a Node are occupied
// first, then every other node, in the order it joins, gets the next free range found by
// scanning from a moving "next candidate" index.
//
// Pod addresses follow the host-local IPAM plugin flannel delegates to
// (containernetworking/plugins plugins/ipam/host-local/backend/allocator): the gateway (.1, the
// cni0 bridge) and the network and broadcast addresses are never handed out; requested
// addresses are reserved first; the others get the lowest free address from .2 upwards, taken
// in sorted pod order so the result never depends on call order.
import { type Cidr, formatCidr, nthSubnet, parseCidr, size, containsCidr, containsIp, ipToInt, intToIp, isValidIpv4, lastAddress } from '../net/cidr.js';

export interface NodeCidrRequest {
  name: string;
  pinned?: string;
}

export type AllocationResult<T> = { ok: true; value: T } | { ok: false; index: number; message: string; fix: string };

export function allocateNodeCIDRs(clusterCidr: string, maskSize: number, nodes: NodeCidrRequest[]): AllocationResult<Map<string, string>> {
  const cluster = parseCidr(clusterCidr);
  const max = 2 ** (maskSize - cluster.prefix);
  const used = new Set<number>();
  const out = new Map<string, string>();
  for (const [index, n] of nodes.entries()) {
    if (!n.pinned) continue;
    const c = parseCidr(n.pinned);
    if (c.prefix !== maskSize || !containsCidr(cluster, c)) {
      return {
        ok: false,
        index,
        message: `podCIDR ${n.pinned} is not a /${maskSize} inside the cluster pod network ${clusterCidr}`,
        fix: `pick a /${maskSize} inside ${clusterCidr}, e.g. ${formatCidr(nthSubnet(cluster, maskSize, index))}`,
      };
    }
    const i = (c.base - cluster.base) / size(c);
    if (used.has(i))
      return {
        ok: false,
        index,
        message: `podCIDR ${n.pinned} is already used by another node`,
        fix: 'give every node its own range, or remove the pin to allocate one',
      };
    used.add(i);
    out.set(n.name, formatCidr(c));
  }
  let next = 0;
  for (const [index, n] of nodes.entries()) {
    if (n.pinned) continue;
    let found = -1;
    for (let k = 0; k < max; k++) {
      const cand = (next + k) % max;
      if (!used.has(cand)) {
        found = cand;
        break;
      }
    }
    if (found < 0)
      return {
        ok: false,
        index,
        message: `the pod network ${clusterCidr} has no free /${maskSize} left for node "${n.name}"`,
        fix: 'use a larger cluster.podCIDR or a larger cluster.nodeCIDRMaskSize',
      };
    used.add(found);
    next = (found + 1) % max;
    out.set(n.name, formatCidr(nthSubnet(cluster, maskSize, found)));
  }
  return { ok: true, value: out };
}

export interface PodIpRequest {
  /** namespace/name, used for ordering and messages. */
  key: string;
  pinned?: string;
}

/** Addresses host-local never hands out in a node range: network, gateway (.1), broadcast. */
export function reservedPodAddresses(range: Cidr): Set<number> {
  return new Set([range.base, range.base + 1, lastAddress(range)]);
}

export function gatewayOf(nodePodCidr: string): string {
  return intToIp(parseCidr(nodePodCidr).base + 1);
}

export function allocatePodIPs(nodePodCidr: string, pods: PodIpRequest[]): AllocationResult<Map<string, string>> {
  const range = parseCidr(nodePodCidr);
  const taken = reservedPodAddresses(range);
  const out = new Map<string, string>();
  const order = [...pods.entries()].sort((a, b) => a[1].key.localeCompare(b[1].key));
  for (const [index, p] of order) {
    if (!p.pinned) continue;
    if (!containsIp(range, p.pinned))
      return {
        ok: false,
        index,
        message: `address ${p.pinned} is outside its node's pod range ${nodePodCidr}`,
        fix: `pick an address from ${intToIp(range.base + 2)} to ${intToIp(lastAddress(range) - 1)}, or remove the annotation`,
      };
    const n = ipToInt(p.pinned);
    if (taken.has(n)) {
      const why =
        n === range.base + 1
          ? 'the cni0 gateway'
          : n === range.base
            ? 'the network address'
            : n === lastAddress(range)
              ? 'the broadcast address'
              : 'already used by another pod';
      return { ok: false, index, message: `address ${p.pinned} is ${why}`, fix: 'pick another address or remove the annotation' };
    }
    taken.add(n);
    out.set(p.key, p.pinned);
  }
  for (const [index, p] of order) {
    if (p.pinned) continue;
    let n = range.base + 2;
    while (n < lastAddress(range) && taken.has(n)) n++;
    if (n >= lastAddress(range))
      return { ok: false, index, message: `node range ${nodePodCidr} is full`, fix: 'use a smaller cluster.nodeCIDRMaskSize or fewer pods on this node' };
    taken.add(n);
    out.set(p.key, intToIp(n));
  }
  return { ok: true, value: out };
}

/** host-local's next address for a pod that arrives while others hold theirs: the first free
 * one after the last it handed out, wrapping around the range (containernetworking/plugins
 * plugins/ipam/host-local/backend/allocator/allocator.go: the RangeIter starts after
 * LastReservedIP), so that an address just released is not handed out again at once (its old
 * MAC may still sit in a neighbour cache). A pinned address is taken when it is free and in
 * range. */
export function nextPodIp(nodePodCidr: string, used: ReadonlySet<string>, pinned?: string, lastReserved?: string): { ip: string } | { error: string } {
  const range = parseCidr(nodePodCidr);
  const reserved = reservedPodAddresses(range);
  if (pinned !== undefined) {
    if (!isValidIpv4(pinned) || !containsIp(range, pinned)) return { error: `the pinned address ${pinned} is not in the node's pod range ${nodePodCidr}` };
    if (reserved.has(ipToInt(pinned))) return { error: `${pinned} is the network, gateway or broadcast address of ${nodePodCidr}` };
    if (used.has(pinned)) return { error: `${pinned} is already in use on this node` };
    return { ip: pinned };
  }
  const first = range.base;
  const last = lastAddress(range);
  const start = lastReserved && containsIp(range, lastReserved) ? ipToInt(lastReserved) + 1 : first;
  const span = last - first + 1;
  for (let i = 0; i < span; i++) {
    const a = first + ((start - first + i) % span);
    const ip = intToIp(a);
    if (!reserved.has(a) && !used.has(ip)) return { ip };
  }
  return { error: `no free address left in ${nodePodCidr}` };
}
