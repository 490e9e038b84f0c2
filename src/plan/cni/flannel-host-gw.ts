// flannel's host-gw backend (flannel-io/flannel pkg/backend/hostgw/hostgw.go, which uses
// pkg/backend/route_network.go): no tunnel device; for every other node's lease a plain route
// "<lease> via <node public IP> dev <external interface>". Packets cross the underlay with the
// pod addresses themselves, so every node must sit on one L2 segment. The MTU is the external
// interface's (no encapsulation overhead); masquerade rules and subnet.env are those of every
// flannel backend (pkg/trafficmngr/iptables, pkg/subnet).
import type { ClusterModel, Node } from '../../model/types.js';
import { gatewayOf } from '../../model/ipam.js';
import { netnsName } from '../../model/names.js';
import type { Op } from '../types.js';
import { bridgeDeviceOps, bridgeNodeInterfaces, bridgePodHostOps, planBridgeNode, planBridgePod } from './bridge.js';
import { flannelAnnotations, flannelNodeFiles } from './flannel-vxlan.js';
import { emptyCniPlan, type CniBackend, type CniPlan, type DynamicCni } from './types.js';

/** route_network.go GetRoute for host-gw: the remote lease via the remote node's address. */
export function hostGwRoutes(model: ClusterModel, nodeName: string): Op[] {
  return model.nodes.filter((n) => n.name !== nodeName).map((n) => hostGwRoute(model, nodeName, n));
}

/** The route to one other node's lease. */
function hostGwRoute(model: ClusterModel, nodeName: string, peer: Node): Op {
  return { kind: 'ip', netns: netnsName(model.lab, nodeName), args: ['route', 'replace', peer.podCIDR, 'via', peer.ip, 'dev', 'eth0'] };
}

/** flanneld host-gw for node agents. */
export const flannelHostGwDynamic: DynamicCni = {
  ipam: 'host-local',
  nodeAnnotations: (_model, node) => flannelAnnotations('host-gw', node),
  nodeSetup: (model, node) => ({
    ops: [...bridgeDeviceOps(model, node, model.underlay.mtu), ...flannelNodeFiles(model, node, model.underlay.mtu)],
    addresses: [gatewayOf(node.podCIDR)],
  }),
  peerOps: (model, node, peer) => [hostGwRoute(model, node.name, peer)],
  peerRemoveOps: (model, node, peer) => [
    { kind: 'ip', netns: netnsName(model.lab, node.name), args: ['route', 'del', peer.podCIDR, 'via', peer.ip, 'dev', 'eth0'] },
  ],
  podSetup: (model, node, pod) => {
    const host = bridgePodHostOps(model, node, pod, model.underlay.mtu);
    return { hostVeth: host.hostVeth, ops: [...host.ops, ...planBridgePod(model, pod, node, { mtu: model.underlay.mtu, podRoutes: [model.network.podCIDR] })] };
  },
};

function planFlannelHostGw(model: ClusterModel): CniPlan {
  const mtu = model.underlay.mtu;
  const bridge = { mtu, podRoutes: [model.network.podCIDR] };
  const out = emptyCniPlan(false);
  for (const node of model.nodes) {
    out.nodeOps.push(...planBridgeNode(model, node, bridge, out), ...hostGwRoutes(model, node.name));
    const [rules, subnetEnv] = flannelNodeFiles(model, node, mtu);
    out.ruleOps.push(rules);
    out.fileOps.push(subnetEnv);
    out.interfaces[node.name] = bridgeNodeInterfaces(model, node);
  }
  for (const pod of model.pods) {
    const node = model.nodes.find((n) => n.name === pod.nodeName)!;
    out.podOps.push(...planBridgePod(model, pod, node, bridge));
    out.interfaces[pod.name] = ['lo', 'eth0'];
  }
  return out;
}

export const flannelHostGw: CniBackend = {
  kind: 'flannel-host-gw',
  description: "flannel's host-gw backend: cni0 bridge per node, pod ranges routed via the node addresses, no encapsulation",
  enforcesPolicy: false,
  requires: ['CONFIG_BRIDGE', 'CONFIG_VETH', 'CONFIG_BRIDGE_NETFILTER'],
  plan: planFlannelHostGw,
  dynamic: flannelHostGwDynamic,
};
