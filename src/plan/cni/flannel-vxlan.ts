// flannel's VXLAN backend, as flanneld programs a node (flannel-io/flannel v0.28,
// pkg/backend/vxlan/vxlan.go, device.go, vxlan_network.go; pkg/trafficmngr/iptables/iptables.go;
// pkg/subnet/subnet.go WriteSubnetFile):
// - device "flannel.<VNI>" (VNI 1), UDP port left at the kernel default 8472, learning off,
//   MTU = underlay MTU - 50 (encapOverhead), address <lease network>/32 ("so that no broadcast
//   routes are created"), a MAC that other nodes learn from the lease (random upstream; derived
//   from the node here so plans are reproducible);
// - for every other node's lease, in this order: a permanent neighbour entry
//   <remote lease network> -> remote VTEP MAC, an FDB entry remote VTEP MAC -> remote node IP
//   (self permanent), and last the route <remote lease> via <remote lease network> dev flannel.1
//   onlink ("added last so the kernel never ARPs for the gateway");
// - the FLANNEL-POSTRTG (nat) and FLANNEL-FWD (filter) chains of --ip-masq and
//   --iptables-forward-rules, as kube-flannel.yml runs flanneld;
// - /run/flannel/subnet.env, which the flannel CNI plugin reads (kept in the lab's state dir).
import type { ClusterModel, Node } from '../../model/types.js';
import { macFor, netnsName } from '../../model/names.js';
import { parseCidr, intToIp } from '../../net/cidr.js';
import { gatewayOf } from '../../model/ipam.js';
import type { Op } from '../types.js';
import { bridgeDeviceOps, bridgeNodeInterfaces, bridgePodHostOps, planBridgeNode, planBridgePod } from './bridge.js';
import { addNodeAddress, emptyCniPlan, type CniBackend, type CniPlan, type DynamicCni } from './types.js';

export const FLANNEL_VNI = 1;
/** Linux's default VXLAN port, which flannel keeps because it passes Port=0. */
export const FLANNEL_VXLAN_PORT = 8472;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 (vxlan_network.go encapOverhead). */
export const VXLAN_OVERHEAD = 50;
/** kube-proxy's masquerade mark, which flanneld's masq chain leaves to kube-proxy. */
export const KUBE_PROXY_MARK = '0x4000/0x4000';

export const flannelDevice = (vni = FLANNEL_VNI): string => `flannel.${vni}`;

export function vtepMac(lab: string, node: string): string {
  return macFor(`${lab}/${node}/${flannelDevice()}`);
}

export interface FlannelPeer {
  /** Remote lease network address, the neighbour and route gateway (e.g. 10.8.1.0). */
  leaseIp: string;
  lease: string;
  vtepMac: string;
  publicIp: string;
}

export function peersOf(model: ClusterModel, node: Node): FlannelPeer[] {
  return model.nodes
    .filter((n) => n.name !== node.name)
    .map((n) => ({ leaseIp: intToIp(parseCidr(n.podCIDR).base), lease: n.podCIDR, vtepMac: vtepMac(model.lab, n.name), publicIp: n.ip }));
}

/** Neighbour, FDB entry and route for each remote lease, in flannel's order
 * (vxlan_network.go handleSubnetEvents: AddARP, AddFDB, then the route last "so the kernel
 * never ARPs for the gateway"). Batched per kind: every neighbour, then every FDB entry, then
 * every route, which keeps that order for each lease and costs three processes per node. */
export function planFlannelPeers(ns: string, peers: FlannelPeer[]): Op[] {
  const dev = flannelDevice();
  return [
    ...peers.map((p): Op => ({ kind: 'ip', netns: ns, args: ['neigh', 'replace', p.leaseIp, 'lladdr', p.vtepMac, 'dev', dev, 'nud', 'permanent'] })),
    ...peers.map((p): Op => ({ kind: 'bridge', netns: ns, args: ['fdb', 'replace', p.vtepMac, 'dev', dev, 'dst', p.publicIp, 'self', 'permanent'] })),
    ...peers.map((p): Op => ({ kind: 'ip', netns: ns, args: ['route', 'replace', p.lease, 'via', p.leaseIp, 'dev', dev, 'onlink'] })),
  ];
}

export function flannelMtu(model: ClusterModel): number {
  return model.underlay.mtu - VXLAN_OVERHEAD;
}

/** flanneld's masquerade and forward rules (MasqRules / ForwardRules), iptables-save format. */
export function renderFlannelRules(network: string, lease: string, randomFully = true): string {
  const c = '-m comment --comment "flanneld masq"';
  const rf = randomFully ? ' --random-fully' : '';
  return [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark ${KUBE_PROXY_MARK} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${lease} -d ${network} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} -d ${lease} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${lease} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} ! -d 224.0.0.0/4 ${c} -j MASQUERADE${rf}`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${c} -j MASQUERADE${rf}`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
    `-A FLANNEL-FWD -s ${network} -m comment --comment "flanneld forward" -j ACCEPT`,
    `-A FLANNEL-FWD -d ${network} -m comment --comment "flanneld forward" -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}

/** /run/flannel/subnet.env: FLANNEL_SUBNET is the lease's first address with its prefix. */
export function renderSubnetEnv(network: string, lease: string, mtu: number, ipMasq = true): string {
  const l = parseCidr(lease);
  return `FLANNEL_NETWORK=${network}\nFLANNEL_SUBNET=${gatewayOf(lease)}/${l.prefix}\nFLANNEL_MTU=${mtu}\nFLANNEL_IPMASQ=${ipMasq}\n`;
}

export function subnetEnvPath(node: string): string {
  return `nodes/${node}/run/flannel/subnet.env`;
}

/** flannel.1: VNI 1, the node's address as the local end, learning off, the lease network /32. */
export function flannelDeviceOps(model: ClusterModel, node: Node): Op[] {
  const ns = netnsName(model.lab, node.name);
  const dev = flannelDevice();
  const leaseIp = intToIp(parseCidr(node.podCIDR).base);
  return [
    {
      kind: 'ip',
      netns: ns,
      args: [
        'link',
        'add',
        dev,
        'address',
        vtepMac(model.lab, node.name),
        'mtu',
        String(flannelMtu(model)),
        'type',
        'vxlan',
        'id',
        String(FLANNEL_VNI),
        'local',
        node.ip,
        'dev',
        'eth0',
        'dstport',
        String(FLANNEL_VXLAN_PORT),
        'nolearning',
      ],
    },
    { kind: 'ip', netns: ns, args: ['addr', 'add', `${leaseIp}/32`, 'dev', dev] },
    { kind: 'ip', netns: ns, args: ['link', 'set', dev, 'up'] },
  ];
}

/** flanneld's rules and subnet.env for a node (every flannel backend has them). */
export function flannelNodeFiles(model: ClusterModel, node: Node, mtu: number): Op[] {
  return [
    { kind: 'iptables-restore', netns: netnsName(model.lab, node.name), rules: renderFlannelRules(model.network.podCIDR, node.podCIDR) },
    { kind: 'file', path: subnetEnvPath(node.name), content: renderSubnetEnv(model.network.podCIDR, node.podCIDR, mtu) },
  ];
}

const peerOf = (model: ClusterModel, n: Node): FlannelPeer => ({
  leaseIp: intToIp(parseCidr(n.podCIDR).base),
  lease: n.podCIDR,
  vtepMac: vtepMac(model.lab, n.name),
  publicIp: n.ip,
});

/** The annotations flanneld's kube subnet manager writes on its Node (flannel v0.28
 * pkg/subnet/kube/annotations.go: backend-data, backend-type, kube-subnet-manager, public-ip),
 * which the other nodes' flanneld read their peer's VTEP from. */
export function flannelAnnotations(backend: 'vxlan' | 'host-gw', node: Node, vtep?: string): Record<string, string> {
  const p = 'flannel.alpha.coreos.com';
  return {
    [`${p}/backend-data`]: vtep ? JSON.stringify({ VNI: FLANNEL_VNI, VtepMAC: vtep }) : 'null',
    [`${p}/backend-type`]: backend,
    [`${p}/kube-subnet-manager`]: 'true',
    [`${p}/public-ip`]: node.ip,
  };
}

/** flanneld for node agents: the same devices and entries, one event at a time. */
export const flannelVxlanDynamic: DynamicCni = {
  ipam: 'host-local',
  nodeAnnotations: (model, node) => flannelAnnotations('vxlan', node, vtepMac(model.lab, node.name)),
  nodeSetup: (model, node) => ({
    ops: [...bridgeDeviceOps(model, node, flannelMtu(model)), ...flannelDeviceOps(model, node), ...flannelNodeFiles(model, node, flannelMtu(model))],
    addresses: [gatewayOf(node.podCIDR), intToIp(parseCidr(node.podCIDR).base)],
  }),
  peerOps: (model, node, peer) => planFlannelPeers(netnsName(model.lab, node.name), [peerOf(model, peer)]),
  peerRemoveOps: (model, node, peer) => {
    const ns = netnsName(model.lab, node.name);
    const p = peerOf(model, peer);
    const dev = flannelDevice();
    // vxlan_network.go handleSubnetEvents, lease removed: route, then FDB entry, then neighbour.
    return [
      { kind: 'ip', netns: ns, args: ['route', 'del', p.lease, 'via', p.leaseIp, 'dev', dev, 'onlink'] },
      { kind: 'bridge', netns: ns, args: ['fdb', 'del', p.vtepMac, 'dev', dev, 'dst', p.publicIp, 'self'] },
      { kind: 'ip', netns: ns, args: ['neigh', 'del', p.leaseIp, 'dev', dev] },
    ];
  },
  podSetup: (model, node, pod) => {
    const host = bridgePodHostOps(model, node, pod, flannelMtu(model));
    return { hostVeth: host.hostVeth, ops: [...host.ops, ...planBridgePod(model, pod, node, { mtu: flannelMtu(model), podRoutes: [model.network.podCIDR] })] };
  },
};

function planFlannelVxlan(model: ClusterModel, enforcesPolicy: boolean): CniPlan {
  const mtu = flannelMtu(model);
  const dev = flannelDevice();
  const bridge = { mtu, podRoutes: [model.network.podCIDR] };
  const out = emptyCniPlan(enforcesPolicy);
  for (const node of model.nodes) {
    const ns = netnsName(model.lab, node.name);
    const leaseIp = intToIp(parseCidr(node.podCIDR).base);
    out.nodeOps.push(...planBridgeNode(model, node, bridge, out), ...flannelDeviceOps(model, node), ...planFlannelPeers(ns, peersOf(model, node)));
    const [rules, subnetEnv] = flannelNodeFiles(model, node, mtu);
    out.ruleOps.push(rules);
    out.fileOps.push(subnetEnv);
    out.interfaces[node.name] = [...bridgeNodeInterfaces(model, node), dev];
    addNodeAddress(out, node.name, leaseIp);
  }
  for (const pod of model.pods) {
    const node = model.nodes.find((n) => n.name === pod.nodeName)!;
    out.podOps.push(...planBridgePod(model, pod, node, bridge));
    out.interfaces[pod.name] = ['lo', 'eth0'];
  }
  return out;
}

export const flannelVxlan: CniBackend = {
  kind: 'flannel-vxlan',
  description: "flannel's VXLAN backend: cni0 bridge per node, flannel.1 overlay (VNI 1, UDP 8472)",
  enforcesPolicy: false,
  requires: ['CONFIG_VXLAN', 'CONFIG_BRIDGE', 'CONFIG_VETH', 'CONFIG_BRIDGE_NETFILTER'],
  plan: (model) => planFlannelVxlan(model, false),
  dynamic: flannelVxlanDynamic,
};

/** Canal: flannel's VXLAN network with a policy engine next to it (Calico's Felix in the real
 * Canal); the dataplane is flannel's, NetworkPolicy is enforced. */
export const canal: CniBackend = {
  ...flannelVxlan,
  kind: 'canal',
  description: "Canal: flannel's VXLAN network plus NetworkPolicy enforcement",
  enforcesPolicy: true,
  plan: (model) => planFlannelVxlan(model, true),
  dynamic: flannelVxlanDynamic,
};
