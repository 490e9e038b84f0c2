// The topology of a lab, read from what the plan creates (every veth pair, bridge port, VXLAN
// device, FDB entry and address is an operation of the plan) and named with the model (nodes,
// pods, services, outside hosts). Pure. Nothing is drawn here: renderers take the graph.
import { hopPoints, type ExpectationSpec } from '../labfile/schema.js';
import type { ClusterModel } from '../model/types.js';
import type { Op, Plan, PlannedNamespace } from '../plan/types.js';
import { serviceId, stackId, type DeviceKind, type GroupKind, type TopoDevice, type TopoGroup, type TopoLink, type Topology } from './types.js';

type IpOp = Extract<Op, { kind: 'ip' | 'bridge' }>;

/** The value after a keyword in an ip argv ("mtu" -> "1450"). */
function after(args: string[], key: string, from = 0): string | undefined {
  const i = args.indexOf(key, from);
  return i >= 0 ? args[i + 1] : undefined;
}

const GROUP_KIND: Record<PlannedNamespace['kind'], GroupKind> = { underlay: 'underlay', node: 'node', pod: 'pod', outside: 'outside' };

/** Namespaces that forward packets between their devices get a "stack" (routing + netfilter). */
const routes = (ns: PlannedNamespace, model: ClusterModel) =>
  ns.kind === 'node' || (ns.kind === 'outside' && model.externals.find((h) => h.name === ns.name)?.kind === 'router');

class Builder {
  readonly devices = new Map<string, TopoDevice>();
  readonly links: TopoLink[] = [];
  private readonly linkKeys = new Set<string>();

  device(group: string, name: string, kind: DeviceKind): TopoDevice {
    const id = `${group}/${name}`;
    let d = this.devices.get(id);
    if (!d) {
      d = { id, group, name, kind, addresses: [] };
      this.devices.set(id, d);
    } else if (d.kind === 'eth' && kind !== 'eth') d.kind = kind;
    return d;
  }

  link(a: string, b: string, kind: TopoLink['kind'], label?: string): void {
    const key = [kind, ...[a, b].sort()].join('|');
    if (this.linkKeys.has(key) || a === b) return;
    this.linkKeys.add(key);
    this.links.push({ id: `l${this.links.length}`, a, b, kind, ...(label ? { label } : {}) });
  }
}

/**
 * The graph of a lab. `points` are the capture points its expectations name: one the plan does
 * not create (a pod's lo) is added to its namespace, so every hop has a device to stand on.
 */
export function buildTopology(model: ClusterModel, plan: Plan, points: string[] = []): Topology {
  const b = new Builder();
  const byNetns = new Map(plan.namespaces.map((n) => [n.netns, n]));
  const nsName = (netns: string) => byNetns.get(netns)?.name ?? netns;
  const groups = planGroups(model, plan);
  const ops = plan.steps.flatMap((s) => s.ops).filter((o): o is IpOp => o.kind === 'ip' || o.kind === 'bridge');

  // Devices in the order the plan lists each namespace's interfaces (lo only when a hop names it).
  for (const ns of plan.namespaces) for (const i of ns.interfaces) if (i !== 'lo') b.device(ns.name, i, i === 'tunl0' ? 'ipip' : 'eth');
  const ports = new Set<string>();
  for (const op of ops) {
    const ns = nsName(op.netns);
    const a = op.args;
    if (op.kind === 'ip' && a[0] === 'link' && a[1] === 'add') {
      const type = after(a, 'type');
      const kind: DeviceKind = type === 'veth' ? 'veth' : type === 'bridge' ? 'bridge' : type === 'vxlan' ? 'vxlan' : type === 'dummy' ? 'dummy' : 'eth';
      const d = b.device(ns, a[2], kind);
      const mtu = after(a, 'mtu');
      if (type === 'vxlan') {
        d.detail = `VXLAN VNI ${after(a, 'id')} · UDP ${after(a, 'dstport') ?? 8472}${mtu ? ` · MTU ${mtu}` : ''}`;
        const under = after(a, 'dev');
        if (under) b.link(d.id, b.device(ns, under, 'eth').id, 'encap', `VXLAN over ${under}`);
      } else if (type === 'veth') {
        // The far end lives in the peer namespace (created there directly with `netns`).
        const peerNs = nsName(after(a, 'netns', a.indexOf('peer')) ?? op.netns);
        const peer = b.device(peerNs, after(a, 'name', a.indexOf('peer')) ?? 'eth0', 'eth');
        if (mtu && mtu !== '1500') d.detail = `MTU ${mtu}`;
        const [upper, lower] = rank(groups, peerNs) < rank(groups, ns) ? [peer.id, d.id] : [d.id, peer.id];
        b.link(upper, lower, 'veth');
      } else if (mtu && type === 'bridge') d.detail = `MTU ${mtu}`;
    } else if (op.kind === 'ip' && a[0] === 'link' && a[1] === 'set') {
      const master = after(a, 'master');
      if (master) {
        b.link(b.device(ns, a[2], 'eth').id, b.device(ns, master, 'bridge').id, 'port');
        ports.add(`${ns}/${a[2]}`);
      }
      if (a[2] === 'tunl0') {
        const d = b.device(ns, 'tunl0', 'ipip');
        d.detail = `IP-in-IP${after(a, 'mtu') ? ` · MTU ${after(a, 'mtu')}` : ''}`;
        b.link(d.id, b.device(ns, 'eth0', 'eth').id, 'encap', 'IP-in-IP over eth0');
      }
    } else if (op.kind === 'ip' && a[0] === 'addr' && a[1] === 'add') {
      b.device(ns, after(a, 'dev')!, 'eth').addresses.push(a[2]);
    }
  }
  // Between nodes: the overlay a tunnel device reaches (flannel's FDB entries name the remote
  // node's address; Calico's tunl0 routes go via it).
  const nodeByIp = new Map(model.nodes.map((n) => [n.ip, n.name]));
  for (const op of ops) {
    const a = op.args;
    const ns = nsName(op.netns);
    const fdbDst = op.kind === 'bridge' && a[0] === 'fdb' ? after(a, 'dst') : undefined;
    const viaTunl = op.kind === 'ip' && a[0] === 'route' && after(a, 'dev') === 'tunl0' ? after(a, 'via') : undefined;
    const peer = nodeByIp.get(fdbDst ?? viaTunl ?? '');
    if (!peer) continue;
    const dev = fdbDst ? after(a, 'dev')! : 'tunl0';
    const [x, y] = [`${ns}/${dev}`, `${peer}/${dev}`].sort();
    b.link(x, y, 'tunnel', fdbDst ? `VXLAN VNI ${b.devices.get(`${ns}/${dev}`)?.detail?.match(/VNI (\d+)/)?.[1] ?? '?'}` : 'IP-in-IP');
  }
  // A routing namespace's devices meet in its stack: bridges and pod veths above it, the
  // underlay side (eth0, tunnels, kube-ipvs0) below.
  for (const ns of plan.namespaces.filter((n) => routes(n, model))) {
    const id = stackId(ns.name);
    b.devices.set(id, { id, group: ns.name, name: ns.kind === 'node' ? 'routing · iptables' : 'routing', kind: 'stack', addresses: [] });
    for (const d of [...b.devices.values()].filter((x) => x.group === ns.name && x.kind !== 'stack' && !ports.has(x.id))) {
      const podSide = d.kind === 'bridge' || (d.kind === 'veth' && b.links.some((l) => l.kind === 'veth' && l.b === d.id));
      if (podSide) b.link(d.id, id, 'stack');
      else b.link(id, d.id, 'stack');
    }
  }
  for (const p of points) {
    const [where, iface] = p.split('/');
    if (groups.some((g) => g.id === where)) b.device(where, iface, iface === 'lo' ? 'loopback' : 'eth');
  }
  planServices(model, b, groups);
  return { lab: model.lab, description: model.description, groups, devices: [...b.devices.values()], links: b.links };
}

/** The capture points a lab's expectations name (for buildTopology's `points`). */
export function expectationPoints(expectations: ExpectationSpec[]): string[] {
  return [...new Set(expectations.flatMap((e) => e.hops.flatMap(hopPoints)))];
}

/** Layers from the top: pods and internet hosts, then nodes and outside machines, then the switch. */
function rank(groups: TopoGroup[], id: string): number {
  const g = groups.find((x) => x.id === id);
  if (!g) return 1;
  return g.kind === 'pod' || g.parent === 'internet' ? 0 : g.kind === 'underlay' ? 2 : 1;
}

function planGroups(model: ClusterModel, plan: Plan): TopoGroup[] {
  const groups: TopoGroup[] = [];
  const u = model.underlay;
  const netem = u.netem ? ` · netem ${[u.netem.delay, u.netem.loss && `${u.netem.loss} loss`].filter(Boolean).join(', ')}` : '';
  if (model.internet) groups.push({ id: 'internet', kind: 'internet', label: 'internet', detail: [model.internet.cidr] });
  for (const ns of plan.namespaces) {
    const node = model.nodes.find((n) => n.name === ns.name);
    const pod = model.pods.find((p) => p.name === ns.name);
    const host = model.externals.find((h) => h.name === ns.name);
    if (ns.kind === 'underlay') groups.push({ id: ns.name, kind: 'underlay', label: 'underlay switch', detail: [`${u.cidr} · MTU ${u.mtu}${netem}`] });
    else if (node) groups.push({ id: node.name, kind: 'node', label: `node ${node.name}`, detail: [`${node.role} · ${node.ip}`, `pods ${node.podCIDR}`] });
    else if (pod)
      groups.push({
        id: pod.name,
        kind: 'pod',
        label: `pod ${pod.name}`,
        detail: [`${pod.namespace === 'default' ? '' : `${pod.namespace} · `}${pod.ip}`],
        parent: pod.nodeName,
      });
    else if (host)
      groups.push({
        id: host.name,
        kind: 'outside',
        label:
          host.kind === 'router'
            ? `router ${host.name}`
            : host.kind === 'client'
              ? `client ${host.name}`
              : `${host.kind === 'dns' ? 'DNS server' : 'host'} ${host.name}`,
        detail: [host.ip],
        ...(host.kind === 'internet' || host.kind === 'dns' ? { parent: 'internet' } : {}),
      });
    else groups.push({ id: ns.name, kind: GROUP_KIND[ns.kind], label: ns.name, detail: [] });
  }
  return groups;
}

/** The service network: one virtual device per Service (its ClusterIP, load-balancer and
 * external IPs, its ports), joined to the pods that serve it. */
function planServices(model: ClusterModel, b: Builder, groups: TopoGroup[]): void {
  const services = model.services.filter((s) => s.type !== 'ExternalName');
  if (services.length === 0) return;
  groups.push({ id: 'services', kind: 'services', label: 'service network (virtual IPs)', detail: [model.network.serviceCIDR] });
  for (const s of services) {
    const id = serviceId(s.namespace, s.name);
    const ips = [s.clusterIP && s.clusterIP !== 'None' ? s.clusterIP : undefined, ...s.loadBalancerIPs, ...s.externalIPs].filter((x): x is string => !!x);
    const ports = s.ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(', ');
    b.devices.set(id, {
      id,
      group: 'services',
      name: s.namespace === 'default' ? s.name : `${s.namespace}/${s.name}`,
      kind: 'service',
      addresses: ips,
      detail: [s.type, s.clusterIP === 'None' ? 'headless' : '', ports, ...announced(model, `${s.namespace}/${s.name}`)].filter(Boolean).join(' · '),
    });
    const slice = model.endpointSlices.find((e) => e.namespace === s.namespace && e.serviceName === s.name);
    for (const e of slice?.endpoints ?? []) if (b.devices.has(`${e.podName}/eth0`)) b.link(id, `${e.podName}/eth0`, 'endpoint');
  }
}

/** MetalLB L2: the node that answers ARP for each load-balancer IP of a service ("namespace/name"). */
function announced(model: ClusterModel, service: string): string[] {
  return model.announcements.filter((a) => a.service === service).map((a) => `ARP for ${a.ip} by ${a.node}`);
}
