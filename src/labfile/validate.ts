// Cross-field rules of a lab file that need no address allocation: CIDRs that must not overlap
// (seed 004: "Networks must NOT overlap"), duplicate names and addresses, node addresses inside
// the underlay, references from pods and expectations to nodes and pods, interface names.
// Rules that need the allocated model (pod address inside its node's range, interfaces a CNI
// creates) are checked where that knowledge lives, with the same problem shape.
import { formatCidr, intToIp, ipToInt, isValidIpv4, lastAddress, overlaps, parseCidr, type Cidr } from '../net/cidr.js';
import type { LabSpec } from './schema.js';
import type { ParsedManifest } from '../k8s/manifest.js';
import { POD_IP_ANNOTATION } from '../k8s/pod.js';
import { splitWords } from '../shell-quote.js';

export interface PathProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

export const IFNAMSIZ = 16; // including the trailing NUL: names have at most 15 characters

/** Kinds that make a lab run its control plane unless it says otherwise: their controllers
 * create the pods of workloads, allocate addresses and publish endpoints. */
const NEEDS_CONTROL_PLANE: ParsedManifest['kind'][] = ['Workload', 'Service', 'NetworkPolicy', 'IngressApi', 'IPAddressPool'];

/** Pod networks the node agents run (plan/cni backends with `dynamic`; a unit test keeps the two
 * lists equal). The others run only from the lab file, without a control plane. */
export const NODE_AGENT_NETWORKS = ['flannel-vxlan', 'flannel-host-gw', 'canal', 'calico-bgp', 'calico-ipip'];

const COREDNS_IMAGE = /(^|\/)coredns\/coredns(:|@|$)/;
const runsCoreDns = (o: LabObject) =>
  (o.manifest.kind === 'Pod' && o.manifest.pod.containers.some((c) => COREDNS_IMAGE.test(c.image))) ||
  (o.manifest.kind === 'Workload' && o.manifest.workload.template.spec.containers.some((c) => COREDNS_IMAGE.test(c.image)));

/** Why this lab cannot run with the control plane (its node agents), if it cannot. */
export function noNodeAgentReason(spec: LabSpec): { message: string; fix: string } | undefined {
  if (!NODE_AGENT_NETWORKS.includes(spec.cluster.cni))
    return {
      message: `the node agents do not run the ${spec.cluster.cni} pod network yet`,
      fix: `use cni: ${NODE_AGENT_NETWORKS.join(', ')}, or controlPlane: none`,
    };
  if (spec.cluster.kubeProxy.mode === 'ipvs')
    return {
      message: "the node agents run kube-proxy's iptables mode; IPVS mode runs only without a control plane so far",
      fix: 'use kubeProxy: { mode: iptables }, or controlPlane: none',
    };
  return undefined;
}

/** The lab's control plane: as written, or what a user would expect from its objects: a lab with
 * services, workloads, policies, ingress, CoreDNS or kubectl steps runs the real API server,
 * controllers and scheduler (when its pod network and kube-proxy mode have node agents); a lab
 * of bare pods (a pod-network lab) runs without, and comes up in a fraction of a second. */
export function controlPlaneOf(spec: LabSpec, objects: LabObject[]): 'kubernetes' | 'none' {
  if (spec.cluster.controlPlane) return spec.cluster.controlPlane;
  if (noNodeAgentReason(spec)) return 'none';
  const wants = objects.some((o) => NEEDS_CONTROL_PLANE.includes(o.manifest.kind) || runsCoreDns(o)) || spec.expectations.some((e) => e.kubectl !== undefined);
  return wants ? 'kubernetes' : 'none';
}

/** A manifest of the lab file as parsed (once) by its kind's parser, with its index in `manifests`. */
export interface LabObject {
  index: number;
  manifest: ParsedManifest;
}

export function validateLab(spec: LabSpec, objects: LabObject[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const controlPlane = controlPlaneOf(spec, objects);
  const add = (path: (string | number)[], message: string, fix?: string) => problems.push({ path, message, fix });
  const noAgents = noNodeAgentReason(spec);
  if (spec.cluster.controlPlane === 'kubernetes' && noAgents) add(['cluster', 'controlPlane'], noAgents.message, noAgents.fix);

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
      const a = cidrs[i],
        b = cidrs[j];
      if (a.cidr && b.cidr && overlaps(a.cidr, b.cidr)) {
        add(
          b.path,
          `${formatCidr(b.cidr)} overlaps ${a.label} ${formatCidr(a.cidr)}; node, pod and service networks must not overlap`,
          'pick disjoint ranges, e.g. node 10.10.20.0/22, pods 10.8.0.0/16, services 10.96.0.0/12',
        );
      }
    }
  }
  const pod = cidrs[1].cidr;
  if (pod && spec.cluster.nodeCIDRMaskSize <= pod.prefix) {
    add(
      ['cluster', 'nodeCIDRMaskSize'],
      `/${spec.cluster.nodeCIDRMaskSize} per node is not smaller than the pod network /${pod.prefix}`,
      `use a mask size larger than ${pod.prefix}, e.g. ${Math.max(24, pod.prefix + 1)}`,
    );
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
        add(
          ['nodes', i, 'podCIDR'],
          (e as Error).message,
          `write the network address of a /${spec.cluster.nodeCIDRMaskSize}, e.g. 10.8.0.0/${spec.cluster.nodeCIDRMaskSize}`,
        );
      }
    }
    if (nodeNames.has(n.name))
      add(['nodes', i, 'name'], `duplicate node name "${n.name}" (also nodes[${nodeNames.get(n.name)}])`, 'give every node its own name');
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
        add(
          ['nodes', i, 'ip'],
          `${n.ip} is not a host address of the underlay ${formatCidr(underlay)}`,
          `pick an address from ${intToIp(underlay.base + 1)} to ${intToIp(lastAddress(underlay) - 1)}`,
        );
      }
    }
  });

  // Machines outside the cluster (external clients, the internet router and its hosts).
  const outsideNames = new Map<string, string>();
  const taken = new Map<string, string>(); // every address on the underlay, for duplicates
  spec.nodes.forEach((n) => taken.set(n.ip, `node ${n.name}`));
  const hostAddr = (path: (string | number)[], ip: string, what: string) => {
    if (!isValidIpv4(ip)) return add(path, `"${ip}" is not an IPv4 address`);
    if (underlay && !(ipToInt(ip) > underlay.base && ipToInt(ip) < lastAddress(underlay)))
      add(path, `${ip} is not a host address of the underlay ${formatCidr(underlay)}`, 'machines outside the cluster sit on the node network too');
    if (taken.has(ip)) add(path, `${ip} is already used by ${taken.get(ip)}`, 'give every machine its own address');
    else taken.set(ip, what);
  };
  const outsideName = (path: (string | number)[], name: string) => {
    if (nodeNames.has(name) || outsideNames.has(name) || name === 'underlay' || name === 'router')
      add(
        path,
        `the name "${name}" is already taken`,
        'names of nodes, pods, services and outside hosts are unique within a lab ("underlay" and "router" are reserved)',
      );
    outsideNames.set(name, path.join('.'));
  };
  spec.outside.clients.forEach((c, i) => {
    outsideName(['outside', 'clients', i, 'name'], c.name);
    hostAddr(['outside', 'clients', i, 'ip'], c.ip, `client ${c.name}`);
  });
  const inet = spec.outside.internet;
  if (inet) {
    hostAddr(['outside', 'internet', 'gateway'], inet.gateway, 'the internet router');
    let inetCidr: Cidr | undefined;
    try {
      inetCidr = parseCidr(inet.cidr);
    } catch (e) {
      add(['outside', 'internet', 'cidr'], (e as Error).message);
    }
    if (inetCidr) {
      for (const c of cidrs)
        if (c.cidr && overlaps(c.cidr, inetCidr))
          add(['outside', 'internet', 'cidr'], `${inet.cidr} overlaps ${c.label}`, 'use a range outside the cluster, e.g. 203.0.113.0/24 (TEST-NET-3)');
    }
    if (inet.dns) {
      outsideName(['outside', 'internet', 'dns', 'name'], inet.dns.name);
      if (inetCidr && isValidIpv4(inet.dns.ip) && !overlaps(inetCidr, { base: ipToInt(inet.dns.ip), prefix: 32 }))
        add(['outside', 'internet', 'dns', 'ip'], `${inet.dns.ip} is outside ${inet.cidr}`, 'the internet DNS server lives on the internet range');
      for (const [n, ip] of Object.entries(inet.dns.records))
        if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(n))
          add(['outside', 'internet', 'dns', 'records', n], `"${n}" is not a DNS name`, `write a name like www.example.com (got ${ip})`);
    }
    inet.hosts.forEach((h, i) => {
      outsideName(['outside', 'internet', 'hosts', i, 'name'], h.name);
      if (
        inetCidr &&
        isValidIpv4(h.ip) &&
        (!overlaps(inetCidr, { base: ipToInt(h.ip), prefix: 32 }) || ipToInt(h.ip) <= inetCidr.base + 1 || ipToInt(h.ip) >= lastAddress(inetCidr))
      ) {
        add(
          ['outside', 'internet', 'hosts', i, 'ip'],
          `${h.ip} is not a host address of ${inet.cidr} other than the router's .1`,
          `pick an address from ${intToIp(inetCidr.base + 2)} to ${intToIp(lastAddress(inetCidr) - 1)}`,
        );
      }
    });
  }

  // Manifests: structure of each supported kind, duplicates, references to nodes.
  const podNames = new Map<string, number>();
  const podIps = new Map<string, number>();
  const serviceNames = new Map<string, number>();
  const clusterIPs = new Map<string, number>();
  const nodePorts = new Map<number, string>();
  const service = cidrs[2].cidr;
  objects.forEach(({ index: i, manifest: man }) => {
    if (man.kind === 'Workload' && controlPlane === 'none') {
      add(
        ['manifests', i, 'kind'],
        `a ${man.workload.kind} needs the control plane: its controller creates the pods`,
        'leave cluster.controlPlane out (or set it to kubernetes), or write the pods as bare Pods',
      );
      return;
    }
    if (man?.kind === 'Service') {
      const svc = man.service;
      const path = ['manifests', i, 'metadata', 'name'];
      if (serviceNames.has(svc.name))
        add(path, `duplicate service name "${svc.name}" (also manifests[${serviceNames.get(svc.name)}])`, 'rename one of the services');
      else serviceNames.set(svc.name, i);
      if (nodeNames.has(svc.name) || outsideNames.has(svc.name))
        add(path, `service "${svc.name}" has the name of a node or outside host`, 'rename the service');
      if (svc.clusterIP && svc.clusterIP !== 'None') {
        const ipPath = ['manifests', i, 'spec', 'clusterIP'];
        if (!isValidIpv4(svc.clusterIP)) add(ipPath, `"${svc.clusterIP}" is not an IPv4 address`);
        else if (service && !overlaps(service, { base: ipToInt(svc.clusterIP), prefix: 32 }))
          add(
            ipPath,
            `${svc.clusterIP} is outside the service network ${formatCidr(service)}`,
            `pick an address inside ${formatCidr(service)} or leave clusterIP out to have one allocated`,
          );
        else if (clusterIPs.has(svc.clusterIP))
          add(ipPath, `ClusterIP ${svc.clusterIP} is already used by manifests[${clusterIPs.get(svc.clusterIP)}]`, 'give every service its own ClusterIP');
        else clusterIPs.set(svc.clusterIP, i);
      }
      svc.ports.forEach((p, j) => {
        if (p.nodePort === undefined) return;
        const other = nodePorts.get(p.nodePort);
        if (other)
          add(
            ['manifests', i, 'spec', 'ports', j, 'nodePort'],
            `node port ${p.nodePort} is already used by ${other}`,
            'every node port is unique in the cluster',
          );
        else nodePorts.set(p.nodePort, `service ${svc.name}`);
      });
      svc.loadBalancerIPs.forEach((ip) => {
        if (isValidIpv4(ip) && underlay && !overlaps(underlay, { base: ipToInt(ip), prefix: 32 }))
          add(
            ['manifests', i, 'spec'],
            `load-balancer IP ${ip} is outside the underlay ${formatCidr(underlay)}; MetalLB's L2 mode announces addresses of the node network`,
            'pick an address of the node network that no machine uses',
          );
      });
      return;
    }
    if (man?.kind !== 'Pod') return;
    const p = man.pod;
    if (controlPlane === 'none')
      p.containers.forEach((c, j) => {
        if (COREDNS_IMAGE.test(c.image))
          add(
            ['manifests', i, 'spec', 'containers', j, 'image'],
            "CoreDNS's kubernetes plugin reads Services from the API server, and this lab runs without a control plane",
            spec.cluster.controlPlane === 'none'
              ? 'remove controlPlane: none'
              : `use a pod network the node agents run (${NODE_AGENT_NETWORKS.join(', ')}) and kube-proxy's iptables mode`,
          );
      });
    if (podNames.has(p.name))
      add(
        ['manifests', i, 'metadata', 'name'],
        `duplicate pod name "${p.name}" (also manifests[${podNames.get(p.name)}]); pod names are unique within a lab so expectations can name them`,
        'rename one of the pods',
      );
    else podNames.set(p.name, i);
    if (nodeNames.has(p.name) || outsideNames.has(p.name))
      add(['manifests', i, 'metadata', 'name'], `pod "${p.name}" has the name of a node or outside host`, 'rename the pod');
    if (p.name === 'underlay' || p.name === 'router')
      add(
        ['manifests', i, 'metadata', 'name'],
        `"${p.name}" is the name of a namespace of the lab's network (the physical switch or the internet router)`,
        'rename the pod',
      );
    if (p.nodeName === undefined) {
      if (controlPlane === 'none')
        add(
          ['manifests', i, 'spec'],
          'spec.nodeName is required: without a control plane the lab has no scheduler',
          "set spec.nodeName to one of the lab's nodes, or run the lab with its control plane (cluster.controlPlane: kubernetes)",
        );
    } else if (!nodeNames.has(p.nodeName))
      add(['manifests', i, 'spec', 'nodeName'], `unknown node "${p.nodeName}"`, `use one of: ${[...nodeNames.keys()].join(', ')}`);
    if (p.pinnedIp) {
      const path = ['manifests', i, 'metadata', 'annotations', POD_IP_ANNOTATION];
      if (!isValidIpv4(p.pinnedIp)) {
        add(path, `"${p.pinnedIp}" is not an IPv4 address`, "write an address from the node's pod range, e.g. 10.8.0.5");
        return;
      }
      if (podIps.has(p.pinnedIp))
        add(path, `duplicate pod address ${p.pinnedIp} (also manifests[${podIps.get(p.pinnedIp)}])`, 'give every pod its own address');
      else podIps.set(p.pinnedIp, i);
      if (pod && isValidIpv4(p.pinnedIp) && !overlaps(pod, { base: ipToInt(p.pinnedIp), prefix: 32 })) {
        add(path, `${p.pinnedIp} is outside the pod network ${formatCidr(pod)}`, "pick an address inside its node's pod range");
      }
    }
  });
  for (const [name, i] of serviceNames)
    if (podNames.has(name))
      add(['manifests', i, 'metadata', 'name'], `service "${name}" has the name of a pod; expectations name both`, 'rename the service or the pod');

  // Expectations: every name they use must exist.
  const senders = new Set<string>([...nodeNames.keys(), ...podNames.keys(), ...outsideNames.keys()]);
  const known = new Set<string>([...senders, ...serviceNames.keys()]);
  const endpointFix = `use a pod, node, service or outside host name (${[...known].join(', ')}) or an IPv4 address`;
  const points = new Set<string>(['underlay', ...(inet ? ['router'] : []), ...nodeNames.keys(), ...podNames.keys(), ...outsideNames.keys()]);
  // Names a kubectl step may create (a Service it exposes, a Pod it runs) cannot be known here:
  // expectations after the first kubectl step are checked against the lab as it is when they
  // run. Senders and capture points must exist from the start.
  let afterKubectl = false;
  spec.expectations.forEach((e, i) => {
    const base: (string | number)[] = ['expectations', i];
    if (e.kubectl !== undefined) {
      checkKubectlStep(e, base, controlPlane, add);
      afterKubectl = true;
      return;
    }
    const deferred = (name: string) => afterKubectl && !senders.has(name);
    const send = e.send!;
    if (!senders.has(send.from)) add([...base, 'send', 'from'], `unknown pod or node "${send.from}"`, `use one of: ${[...senders].join(', ')}`);
    if (send.to !== undefined && !known.has(send.to) && !isValidIpv4(send.to) && !deferred(send.to))
      add([...base, 'send', 'to'], `unknown pod or node "${send.to}"`, endpointFix);
    if (send.dns?.server !== undefined && !known.has(send.dns.server) && !isValidIpv4(send.dns.server))
      add([...base, 'send', 'dns', 'server'], `unknown pod, node or service "${send.dns.server}"`, endpointFix);
    e.hops.forEach((h, j) => {
      for (const at of Array.isArray(h.at) ? h.at : [h.at]) {
        const [where, dev] = at.split('/');
        if (!points.has(where)) add([...base, 'hops', j, 'at'], `unknown pod or node "${where}"`, `use one of: ${[...points].join(', ')}`);
        if (dev.length >= IFNAMSIZ)
          add(
            [...base, 'hops', j, 'at'],
            `interface name "${dev}" is ${dev.length} characters; Linux allows at most ${IFNAMSIZ - 1}`,
            'use the interface name as `ip link` shows it',
          );
      }
      const checkAddr = (v: string | string[] | undefined, path: (string | number)[]) => {
        for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) {
          const name = x.startsWith('!') ? x.slice(1) : x;
          if (!known.has(name) && !isValidIpv4(name) && !deferred(name)) add(path, `unknown pod or node "${name}"`, endpointFix);
        }
      };
      for (let m = h.packet, p: (string | number)[] = [...base, 'hops', j, 'packet']; m; m = m.inner, p = [...p, 'inner']) {
        checkAddr(m.src, [...p, 'src']);
        checkAddr(m.dst, [...p, 'dst']);
      }
      if (h.absent && h.packet?.overhead !== undefined)
        add([...base, 'hops', j, 'packet', 'overhead'], 'an absent hop has no packet to measure', 'remove overhead or absent');
    });
    e.chains.forEach((c, j) => {
      if (!nodeNames.has(c.node)) add([...base, 'chains', j, 'node'], `unknown node "${c.node}"`, `use one of: ${[...nodeNames.keys()].join(', ')}`);
      // kube-proxy's own table exists only in nftables mode (a check for another mode is left out).
      const mode = c.kubeProxy ?? spec.cluster.kubeProxy.mode;
      if (c.table === 'kube-proxy' && mode !== 'nftables')
        add(
          [...base, 'chains', j, c.kubeProxy ? 'kubeProxy' : 'table'],
          `the table kube-proxy exists only in kube-proxy's nftables mode, and this check is for ${mode} mode`,
          c.kubeProxy
            ? 'use kubeProxy: nftables'
            : 'add kubeProxy: nftables to this check (it then applies only in that mode), or trace an iptables table (nat, filter)',
        );
    });
    // The views of kube-proxy's own state exist only in its mode.
    e.state.forEach((c, j) => {
      const needs = c.show === 'nftables' ? 'nftables' : c.show === 'ipvs' ? 'ipvs' : undefined;
      const mode = c.kubeProxy ?? spec.cluster.kubeProxy.mode;
      if (needs && mode !== needs)
        add(
          [...base, 'state', j, c.kubeProxy ? 'kubeProxy' : 'show'],
          `show: ${c.show} is kube-proxy's ${needs} mode's state, and this check is for ${mode} mode`,
          c.kubeProxy ? `use kubeProxy: ${needs}` : `add kubeProxy: ${needs} to this check (it then applies only in that mode)`,
        );
    });
    const kind = send.ping ? 'ping' : send.http ? 'http' : send.transfer ? 'transfer' : send.dns ? 'dns' : 'tcp';
    if (e.expect.rttMs && kind !== 'ping') add([...base, 'expect', 'rttMs'], 'only a ping measures a round-trip time', 'send a ping');
    for (const f of ['retransmits', 'seconds'] as const) {
      if (e.expect[f] && kind !== 'transfer') add([...base, 'expect', f], `only a transfer measures ${f}`, 'send: { transfer: { bytes: 2000000 } }');
    }
    // The transfer's server runs in the destination's namespace: it must have one.
    if (kind === 'transfer' && send.to !== undefined && !senders.has(send.to)) {
      add([...base, 'send', 'to'], `a transfer needs a pod, node or outside host to receive it, not "${send.to}"`, `use one of: ${[...senders].join(', ')}`);
    }
    if (e.expect.body !== undefined && kind === 'ping') add([...base, 'expect', 'body'], 'a ping has no body', 'send http or tcp to check a body');
    if (e.expect.spread && kind === 'ping') add([...base, 'expect', 'spread'], 'a ping does not say which backend answered', 'send http or tcp');
    if (e.expect.spread && send.repeat < 2) add([...base, 'send', 'repeat'], 'a spread needs several requests', 'set send.repeat, e.g. 30');
    e.expect.backends?.forEach((b, j) => {
      if (!podNames.has(b) && !outsideNames.has(b) && !deferred(b))
        add([...base, 'expect', 'backends', j], `unknown pod "${b}"`, `use one of: ${[...podNames.keys()].join(', ')}`);
    });
    if ((send.http?.port ?? send.tcp?.port) === undefined && (send.http || send.tcp) && !serviceNames.has(send.to ?? '') && !deferred(send.to ?? '')) {
      add(
        [...base, 'send', send.http ? 'http' : 'tcp'],
        'no port given, and the destination is not a service whose port could be used',
        'add port, e.g. { port: 80 }',
      );
    }
  });
  spec.reachability.forEach((t, i) => {
    const base: (string | number)[] = ['reachability', i];
    t.from.forEach((f, j) => {
      if (!senders.has(f)) add([...base, 'from', j], `unknown pod or node "${f}"`, `use one of: ${[...senders].join(', ')}`);
    });
    t.to.forEach((x, j) => {
      const name = x.split(':')[0];
      if (!known.has(name)) add([...base, 'to', j], `unknown pod or service "${name}"`, endpointFix);
    });
    const rows = parseTruthTable(t.expected);
    if (rows.length !== t.from.length)
      add([...base, 'expected'], `the table has ${rows.length} rows, from lists ${t.from.length}`, 'one row per sender, in the order of from');
    rows.forEach((r, j) => {
      if (r.length !== t.to.length)
        add([...base, 'expected'], `row ${j + 1} has ${r.length} cells, to lists ${t.to.length}`, 'one cell per target: "." reachable, "X" not');
      if (r.some((c) => c !== '.' && c !== 'X'))
        add([...base, 'expected'], `row ${j + 1} has a cell that is neither "." nor "X"`, 'write "." for reachable, "X" for not');
    });
  });
  return problems;
}

/** A kubectl step: words a shell would split, regular expressions that compile, nothing that
 * belongs to a probe, and a control plane to talk to. */
function checkKubectlStep(
  e: LabSpec['expectations'][number],
  base: (string | number)[],
  controlPlane: 'kubernetes' | 'none',
  add: (path: (string | number)[], message: string, fix?: string) => void,
): void {
  if (controlPlane === 'none')
    add([...base, 'kubectl'], 'kubectl needs the control plane, and this lab runs without one', 'leave cluster.controlPlane out or set it to kubernetes');
  const words = splitWords(e.kubectl!);
  if ('error' in words) add([...base, 'kubectl'], words.error, 'close the quote');
  else if (words.words[0] === 'kubectl') add([...base, 'kubectl'], 'write the words after `kubectl`', `kubectl: ${words.words.slice(1).join(' ')}`);
  (e.expect.output ?? []).forEach((re, j) => {
    try {
      new RegExp(re, 'm');
    } catch (err) {
      add(
        [...base, 'expect', 'output', j],
        `not a regular expression: ${(err as Error).message}`,
        'escape ( ) [ ] . * + ? with a backslash to match them as text',
      );
    }
  });
  const probeOnly = (
    ['reply', 'body', 'spread', 'shares', 'backends', 'error', 'status', 'rcode', 'answers', 'rttMs', 'retransmits', 'seconds'] as const
  ).filter((k) => e.expect[k] !== undefined);
  for (const k of probeOnly) add([...base, 'expect', k], `${k} is about a probe's answer; a kubectl step has output and exitCode`, 'use expect.output');
  if (e.hops.length > 0 || e.chains.length > 0 || e.state.length > 0)
    add([...base, 'kubectl'], 'a kubectl step has no packets: hops, chains and state belong to a probe', 'move them to an expectation with send');
}

/** The cells of a truth table, row by row: whitespace-separated "." and "X"; a first column
 * that names the row (as upstream prints it) is allowed and ignored. */
export function parseTruthTable(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/).filter((c) => c === '.' || c === 'X' || !/^[a-z0-9-]+:?$/.test(c)));
}
