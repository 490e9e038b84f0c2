// Cross-field rules of a lab file that need no address allocation: CIDRs that must not overlap
// (seed 004: "Networks must NOT overlap"), duplicate names and addresses, node addresses inside
// the underlay, references from pods and expectations to nodes and pods, interface names.
// Rules that need the allocated model (pod address inside its node's range, interfaces a CNI
// creates) are checked where that knowledge lives, with the same problem shape.
import { formatCidr, intToIp, ipToInt, isValidIpv4, lastAddress, overlaps, parseCidr, type Cidr } from '../model/cidr.js';
import type { LabSpec } from './schema.js';
import { parsePodManifest, POD_IP_ANNOTATION } from './k8s.js';

export interface PathProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

export const IFNAMSIZ = 16; // including the trailing NUL: names have at most 15 characters

export function validateLab(spec: LabSpec): PathProblem[] {
  const problems: PathProblem[] = [];
  const add = (path: (string | number)[], message: string, fix?: string) => problems.push({ path, message, fix });

  const cidrs: { path: (string | number)[]; label: string; cidr?: Cidr }[] = [
    { path: ['underlay', 'cidr'], label: 'underlay.cidr (node network)' },
    { path: ['cluster', 'podCIDR'], label: 'cluster.podCIDR (pod network)' },
    { path: ['cluster', 'serviceCIDR'], label: 'cluster.serviceCIDR (service network)' },
  ];
  const texts = [spec.underlay.cidr, spec.cluster.podCIDR, spec.cluster.serviceCIDR];
  cidrs.forEach((c, i) => {
    try {
      c.cidr = parseCidr(texts[i]);
    } catch (e) {
      add(c.path, (e as Error).message, 'write the network address, e.g. 10.8.0.0/16');
    }
  });
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      const a = cidrs[i], b = cidrs[j];
      if (a.cidr && b.cidr && overlaps(a.cidr, b.cidr)) {
        add(b.path, `${formatCidr(b.cidr)} overlaps ${a.label} ${formatCidr(a.cidr)}; node, pod and service networks must not overlap`, 'pick disjoint ranges, e.g. node 10.10.20.0/22, pods 10.8.0.0/16, services 10.96.0.0/12');
      }
    }
  }
  const pod = cidrs[1].cidr;
  if (pod && spec.cluster.nodeCIDRMaskSize <= pod.prefix) {
    add(['cluster', 'nodeCIDRMaskSize'], `/${spec.cluster.nodeCIDRMaskSize} per node is not smaller than the pod network /${pod.prefix}`, `use a mask size larger than ${pod.prefix}, e.g. ${Math.max(24, pod.prefix + 1)}`);
  }

  // Nodes.
  const underlay = cidrs[0].cidr;
  const nodeNames = new Map<string, number>();
  const nodeIps = new Map<string, number>();
  spec.nodes.forEach((n, i) => {
    if (n.name === 'underlay') add(['nodes', i, 'name'], '"underlay" is the name of the physical switch namespace', 'rename the node');
    if (n.podCIDR !== undefined) {
      try {
        parseCidr(n.podCIDR);
      } catch (e) {
        add(['nodes', i, 'podCIDR'], (e as Error).message, `write the network address of a /${spec.cluster.nodeCIDRMaskSize}, e.g. 10.8.0.0/${spec.cluster.nodeCIDRMaskSize}`);
      }
    }
    if (nodeNames.has(n.name)) add(['nodes', i, 'name'], `duplicate node name "${n.name}" (also nodes[${nodeNames.get(n.name)}])`, 'give every node its own name');
    else nodeNames.set(n.name, i);
    if (!isValidIpv4(n.ip)) {
      add(['nodes', i, 'ip'], `"${n.ip}" is not an IPv4 address`);
      return;
    }
    if (nodeIps.has(n.ip)) add(['nodes', i, 'ip'], `duplicate address ${n.ip} (also nodes[${nodeIps.get(n.ip)}])`, 'give every node its own address');
    else nodeIps.set(n.ip, i);
    if (underlay) {
      const x = ipToInt(n.ip);
      if (!(x > underlay.base && x < lastAddress(underlay))) {
        add(['nodes', i, 'ip'], `${n.ip} is not a host address of the underlay ${formatCidr(underlay)}`, `pick an address from ${intToIp(underlay.base + 1)} to ${intToIp(lastAddress(underlay) - 1)}`);
      }
    }
  });

  // Manifests: structure of each supported kind, duplicates, references to nodes.
  const podNames = new Map<string, number>();
  const podIps = new Map<string, number>();
  spec.manifests.forEach((m, i) => {
    const parsed = parsePodManifest(m);
    for (const p of parsed.problems) add(['manifests', i, ...p.path], p.message, p.fix);
    if (!parsed.pod) return;
    const p = parsed.pod;
    if (podNames.has(p.name)) add(['manifests', i, 'metadata', 'name'], `duplicate pod name "${p.name}" (also manifests[${podNames.get(p.name)}]); pod names are unique within a lab so expectations can name them`, 'rename one of the pods');
    else podNames.set(p.name, i);
    if (nodeNames.has(p.name)) add(['manifests', i, 'metadata', 'name'], `pod "${p.name}" has the name of a node`, 'rename the pod');
    if (p.name === 'underlay') add(['manifests', i, 'metadata', 'name'], '"underlay" is the name of the physical switch namespace', 'rename the pod');
    if (!nodeNames.has(p.nodeName)) add(['manifests', i, 'spec', 'nodeName'], `unknown node "${p.nodeName}"`, `use one of: ${[...nodeNames.keys()].join(', ')}`);
    if (p.pinnedIp) {
      const path = ['manifests', i, 'metadata', 'annotations', POD_IP_ANNOTATION];
      if (!isValidIpv4(p.pinnedIp)) {
        add(path, `"${p.pinnedIp}" is not an IPv4 address`, 'write an address from the node\'s pod range, e.g. 10.8.0.5');
        return;
      }
      if (podIps.has(p.pinnedIp)) add(path, `duplicate pod address ${p.pinnedIp} (also manifests[${podIps.get(p.pinnedIp)}])`, 'give every pod its own address');
      else podIps.set(p.pinnedIp, i);
      if (pod && isValidIpv4(p.pinnedIp) && !overlaps(pod, { base: ipToInt(p.pinnedIp), prefix: 32 })) {
        add(path, `${p.pinnedIp} is outside the pod network ${formatCidr(pod)}`, 'pick an address inside its node\'s pod range');
      }
    }
  });

  // Expectations: every name they use must exist.
  const known = new Set<string>([...nodeNames.keys(), ...podNames.keys()]);
  const endpointFix = `use a pod or node name (${[...known].join(', ')}) or an IPv4 address`;
  spec.expectations.forEach((e, i) => {
    const base: (string | number)[] = ['expectations', i];
    if (!podNames.has(e.send.from) && !nodeNames.has(e.send.from)) add([...base, 'send', 'from'], `unknown pod or node "${e.send.from}"`, `use one of: ${[...known].join(', ')}`);
    if (!known.has(e.send.to) && !isValidIpv4(e.send.to)) add([...base, 'send', 'to'], `unknown pod or node "${e.send.to}"`, endpointFix);
    e.hops.forEach((h, j) => {
      const [where, dev] = h.at.split('/');
      if (where !== 'underlay' && !known.has(where)) add([...base, 'hops', j, 'at'], `unknown pod or node "${where}"`, `use one of: underlay, ${[...known].join(', ')}`);
      if (dev.length >= IFNAMSIZ) add([...base, 'hops', j, 'at'], `interface name "${dev}" is ${dev.length} characters; Linux allows at most ${IFNAMSIZ - 1}`, 'use the interface name as `ip link` shows it');
      const checkAddr = (v: string | undefined, path: (string | number)[]) => {
        if (v !== undefined && !known.has(v) && !isValidIpv4(v)) add(path, `unknown pod or node "${v}"`, endpointFix);
      };
      for (let m = h.packet, p: (string | number)[] = [...base, 'hops', j, 'packet']; m; m = m.inner, p = [...p, 'inner']) {
        checkAddr(m.src, [...p, 'src']);
        checkAddr(m.dst, [...p, 'dst']);
      }
      if (h.absent && h.packet?.overhead !== undefined) add([...base, 'hops', j, 'packet', 'overhead'], 'an absent hop has no packet to measure', 'remove overhead or absent');
    });
    const kind = e.send.ping ? 'ping' : e.send.http ? 'http' : 'tcp';
    if (e.expect.body !== undefined && kind === 'ping') add([...base, 'expect', 'body'], 'a ping has no body', 'send http or tcp to check a body');
  });
  return problems;
}
