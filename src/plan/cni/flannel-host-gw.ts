// flannel's host-gw backend (flannel-io/flannel pkg/backend/hostgw/hostgw.go, which uses
// pkg/backend/route_network.go): no tunnel device; for every other node's lease a plain route
// "<lease> via <node public IP> dev <external interface>". Packets cross the underlay with the
// pod addresses themselves, so every node must sit on one L2 segment. The MTU is the external
// interface's (no encapsulation overhead); masquerade rules and subnet.env are those of every
// flannel backend (pkg/trafficmngr/iptables, pkg/subnet).
import type { ClusterModel } from '../../model/types.js';
import { netnsName } from '../../model/names.js';
import type { Op } from '../types.js';
import { bridgeNodeInterfaces, planBridgeNode, planBridgePod } from './bridge.js';
import { renderFlannelRules, renderSubnetEnv, subnetEnvPath } from './flannel-vxlan.js';
import { emptyCniPlan, type CniBackend, type CniPlan } from './types.js';

/** route_network.go GetRoute for host-gw: the remote lease via the remote node's address. */
export function hostGwRoutes(model: ClusterModel, nodeName: string): Op[] {
  const ns = netnsName(model.lab, nodeName);
  return model.nodes
    .filter((n) => n.name !== nodeName)
    .map((n): Op => ({ kind: 'ip', netns: ns, args: ['route', 'replace', n.podCIDR, 'via', n.ip, 'dev', 'eth0'] }));
}

function planFlannelHostGw(model: ClusterModel): CniPlan {
  const mtu = model.underlay.mtu;
  const bridge = { mtu, podRoutes: [model.network.podCIDR] };
  const out = emptyCniPlan(false);
  for (const node of model.nodes) {
    out.nodeOps.push(...planBridgeNode(model, node, bridge, out), ...hostGwRoutes(model, node.name));
    out.ruleOps.push({ kind: 'iptables-restore', netns: netnsName(model.lab, node.name), rules: renderFlannelRules(model.network.podCIDR, node.podCIDR) });
    out.fileOps.push({ kind: 'file', path: subnetEnvPath(node.name), content: renderSubnetEnv(model.network.podCIDR, node.podCIDR, mtu) });
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
};
