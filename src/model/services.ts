// Services in the model: ClusterIPs, node ports and load-balancer IPs allocated, endpoints
// selected, and the node that announces each load-balancer IP. Pure and deterministic.
//
// Upstream allocates ClusterIPs and node ports at random, from the upper ("dynamic") part of
// the range so that the lower part stays free for addresses people choose
// (kubernetes/kubernetes pkg/registry/core/service/ipallocator, KEP-3070; portallocator,
// KEP-3668). Here the "random" pick is a hash of the object's name, probed linearly on a
// collision: the addresses look like real ones (10.97.253.216) and never depend on call order.
import { createHash } from 'node:crypto';
import type { AddressPool, Endpoint, EndpointSlice, L2Announcement, Node, Pod, Service } from './types.js';
import { intToIp, ipToInt, parseCidr, size } from '../net/cidr.js';
import { NODE_PORT_RANGE } from '../k8s/service.js';

function hash32(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0);
}

/** KEP-3070: the static band is min(max(16, size/16), 256) addresses at the start. */
export function staticBandSize(total: number): number {
  return Math.min(Math.max(16, Math.floor(total / 16)), 256);
}

export interface Allocation<T> {
  ok: boolean;
  value?: T;
  message?: string;
}

export function allocateClusterIPs(serviceCidr: string, services: { key: string; given?: string }[]): Map<string, string> {
  const range = parseCidr(serviceCidr);
  const total = size(range);
  // The network address and the first address (the "kubernetes" service) are never handed out.
  const used = new Set<number>([0, 1]);
  const out = new Map<string, string>();
  for (const s of services) {
    if (s.given) {
      used.add(ipToInt(s.given) - range.base);
      out.set(s.key, s.given);
    }
  }
  const band = staticBandSize(total);
  const dynamic = total - 1 - band; // up to the broadcast address, exclusive
  for (const s of [...services].sort((a, b) => a.key.localeCompare(b.key))) {
    if (s.given) continue;
    let off = band + (hash32(s.key) % dynamic);
    for (let k = 0; used.has(off) && k < dynamic; k++) off = band + ((off - band + 1) % dynamic);
    used.add(off);
    out.set(s.key, intToIp(range.base + off));
  }
  return out;
}

/** KEP-3668: the static band of the node-port range is min(max(16, size/32), 128) ports. */
export function allocateNodePorts(requests: { key: string; given?: number }[]): Map<string, number> {
  const total = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
  const band = Math.min(Math.max(16, Math.floor(total / 32)), 128);
  const dynamic = total - band;
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const r of requests)
    if (r.given) {
      used.add(r.given);
      out.set(r.key, r.given);
    }
  for (const r of [...requests].sort((a, b) => a.key.localeCompare(b.key))) {
    if (r.given) continue;
    let p = NODE_PORT_RANGE.min + band + (hash32(r.key) % dynamic);
    for (let k = 0; used.has(p) && k < dynamic; k++) p = NODE_PORT_RANGE.min + band + ((p - NODE_PORT_RANGE.min - band + 1) % dynamic);
    used.add(p);
    out.set(r.key, p);
  }
  return out;
}

/** MetalLB's allocator hands out the first free address of the first pool that has one. */
export function allocateLoadBalancerIPs(pools: AddressPool[], requests: { key: string; given: string[] }[]): Map<string, string[]> {
  const used = new Set(requests.flatMap((r) => r.given));
  const out = new Map<string, string[]>();
  for (const r of [...requests].sort((a, b) => a.key.localeCompare(b.key))) {
    if (r.given.length > 0) {
      out.set(r.key, r.given);
      continue;
    }
    let found: string | undefined;
    for (const pool of pools) {
      for (const [first, last] of pool.ranges) {
        for (let n = ipToInt(first); n <= ipToInt(last) && !found; n++) if (!used.has(intToIp(n))) found = intToIp(n);
      }
      if (found) break;
    }
    if (found) used.add(found);
    out.set(r.key, found ? [found] : []);
  }
  return out;
}

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The EndpointSlice controller's view of a service: pods of its namespace that match the
 * selector; only ready ones serve (pkg/controller/endpointslice). Named target ports resolve to
 * each pod's container port of that name. Returns undefined for services without a selector. */
export function endpointSliceFor(svc: Service, pods: Pod[]): { slice?: EndpointSlice; unresolved: string[] } {
  if (!svc.selector || svc.type === 'ExternalName') return { unresolved: [] };
  const members = pods.filter((p) => p.namespace === svc.namespace && selectorMatches(svc.selector!, p.labels));
  const unresolved: string[] = [];
  const ports = svc.ports.map((sp) => {
    let port = typeof sp.targetPort === 'number' ? sp.targetPort : undefined;
    if (typeof sp.targetPort === 'string') {
      const found = new Set(members.map((p) => p.containers.flatMap((c) => c.ports).find((cp) => cp.name === sp.targetPort)?.containerPort));
      found.delete(undefined);
      if (found.size === 1) port = [...found][0];
      else if (members.length > 0)
        unresolved.push(
          `targetPort "${sp.targetPort}" of port ${sp.port} ${found.size === 0 ? 'names no container port of the selected pods' : 'resolves to different ports on different pods'}`,
        );
    }
    return { name: sp.name, protocol: sp.protocol, port: port ?? 0 };
  });
  const endpoints: Endpoint[] = members
    .map((p) => ({ ip: p.ip, podName: p.name, nodeName: p.nodeName, ready: p.ready, serving: p.ready, terminating: false }))
    .sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip));
  return { slice: { name: `${svc.name}-wl`, namespace: svc.namespace, serviceName: svc.name, ports, endpoints }, unresolved };
}

/** MetalLB L2 mode: each LoadBalancer IP is announced by one node, the first of the eligible
 * nodes sorted by sha256(node + "#" + ip) (metallb internal/speaker layer2_controller.go
 * ShouldAnnounce). Eligible: nodes whose speaker may announce (kubeadm labels control-plane
 * nodes node.kubernetes.io/exclude-from-external-load-balancers, which MetalLB honours); with
 * externalTrafficPolicy Local, only nodes with a ready endpoint of the service. */
export function electAnnouncers(services: Service[], slices: EndpointSlice[], nodes: Node[]): L2Announcement[] {
  const out: L2Announcement[] = [];
  for (const svc of services) {
    if (svc.type !== 'LoadBalancer') continue;
    const slice = slices.find((s) => s.namespace === svc.namespace && s.serviceName === svc.name);
    let eligible = nodes.filter((n) => n.role !== 'control-plane').map((n) => n.name);
    if (svc.externalTrafficPolicy === 'Local') {
      const local = new Set((slice?.endpoints ?? []).filter((e) => e.ready).map((e) => e.nodeName));
      eligible = eligible.filter((n) => local.has(n));
    }
    for (const ip of svc.loadBalancerIPs) {
      const sorted = [...eligible].sort((a, b) =>
        Buffer.compare(createHash('sha256').update(`${a}#${ip}`).digest(), createHash('sha256').update(`${b}#${ip}`).digest()),
      );
      if (sorted.length > 0) out.push({ ip, node: sorted[0], service: `${svc.namespace}/${svc.name}` });
    }
  }
  return out;
}
