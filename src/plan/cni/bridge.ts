// The pod side of the CNI bridge plugin as flannel configures it (containernetworking/plugins
// plugins/main/bridge/bridge.go, with the delegate flannel-io/cni-plugin flannel_linux.go builds:
// bridge "cni0", isGateway, isDefaultGateway, hairpinMode, ipMasq false, mtu = FLANNEL_MTU, and
// host-local IPAM with ranges [[{subnet: <node range>}]] and routes [{dst: <cluster network>}]).
//
// Per node: the cni0 bridge with the gateway address (.1 of the node range) and the MTU.
// Per pod: a veth pair created from the node with its peer directly inside the pod namespace,
// the host end enslaved to cni0 with hairpin on; inside the pod: eth0 with the pod address,
// the cluster-network route and the default route, both via the gateway (ipam.ConfigureIface
// uses the gateway for routes that have none).
import type { ClusterModel, Node, Pod } from '../../model/types.js';
import { macFor, netnsName, podVethName } from '../../model/names.js';
import { gatewayOf } from '../../model/ipam.js';
import { parseCidr } from '../../net/cidr.js';
import { bridgePort, vethPair } from '../links.js';
import type { Op } from '../types.js';
import { addNodeAddress, type CniPlan } from './types.js';

export const BRIDGE = 'cni0';

export interface BridgeOptions {
  mtu: number;
  /** Extra pod routes (dst CIDRs) via the gateway, e.g. the cluster pod network. */
  podRoutes: string[];
}

/** cni0 with the gateway address (.1 of the node's range) and the MTU. */
export function bridgeDeviceOps(model: ClusterModel, node: Node, mtu: number): Op[] {
  const ns = netnsName(model.lab, node.name);
  const prefix = parseCidr(node.podCIDR).prefix;
  return [
    { kind: 'ip', netns: ns, args: ['link', 'add', BRIDGE, 'address', macFor(`${model.lab}/${node.name}/${BRIDGE}`), 'mtu', String(mtu), 'type', 'bridge'] },
    { kind: 'ip', netns: ns, args: ['addr', 'add', `${gatewayOf(node.podCIDR)}/${prefix}`, 'dev', BRIDGE] },
    { kind: 'ip', netns: ns, args: ['link', 'set', BRIDGE, 'up'] },
  ];
}

/** A pod's veth, created from the node with its eth0 directly in the pod's namespace, on cni0
 * with hairpin on (the plugin's ADD, node side). */
export function bridgePodHostOps(model: ClusterModel, node: Node, pod: Pick<Pod, 'name' | 'namespace'>, mtu: number): { ops: Op[]; hostVeth: string } {
  const ns = netnsName(model.lab, node.name);
  const veth = podVethName(pod.namespace, pod.name);
  return {
    hostVeth: veth,
    ops: [
      vethPair({
        netns: ns,
        name: veth,
        mac: macFor(`${model.lab}/${pod.namespace}/${pod.name}/${veth}`),
        mtu,
        peerNetns: netnsName(model.lab, pod.name),
        peerMac: macFor(`${model.lab}/${pod.namespace}/${pod.name}/eth0`),
      }),
      bridgePort(ns, veth, BRIDGE),
      { kind: 'ip', netns: ns, args: ['link', 'set', veth, 'type', 'bridge_slave', 'hairpin', 'on'] },
    ],
  };
}

/** cni0 and the node side of its pods' veths; records cni0's address and the host veths in `out`. */
export function planBridgeNode(model: ClusterModel, node: Node, opts: BridgeOptions, out: Pick<CniPlan, 'nodeAddresses' | 'hostVeths'>): Op[] {
  const ops = bridgeDeviceOps(model, node, opts.mtu);
  addNodeAddress(out, node.name, gatewayOf(node.podCIDR));
  for (const pod of model.pods.filter((p) => p.nodeName === node.name)) {
    const host = bridgePodHostOps(model, node, pod, opts.mtu);
    out.hostVeths[`${pod.namespace}/${pod.name}`] = host.hostVeth;
    ops.push(...host.ops);
  }
  return ops;
}

/** Inside the pod: eth0 with its address, the cluster-network and default routes via the gateway. */
export function planBridgePod(model: ClusterModel, pod: Pick<Pod, 'name' | 'ip'>, node: Node, opts: BridgeOptions): Op[] {
  const ns = netnsName(model.lab, pod.name);
  const gw = gatewayOf(node.podCIDR);
  const prefix = parseCidr(node.podCIDR).prefix;
  return [
    { kind: 'ip', netns: ns, args: ['link', 'set', 'lo', 'up'] },
    { kind: 'ip', netns: ns, args: ['addr', 'add', `${pod.ip}/${prefix}`, 'dev', 'eth0'] },
    { kind: 'ip', netns: ns, args: ['link', 'set', 'eth0', 'up'] },
    ...opts.podRoutes.map((dst): Op => ({ kind: 'ip', netns: ns, args: ['route', 'add', dst, 'via', gw, 'dev', 'eth0'] })),
    { kind: 'ip', netns: ns, args: ['route', 'add', 'default', 'via', gw, 'dev', 'eth0'] },
  ];
}

export function bridgeNodeInterfaces(model: ClusterModel, node: Node): string[] {
  return [BRIDGE, ...model.pods.filter((p) => p.nodeName === node.name).map((p) => podVethName(p.namespace, p.name))];
}
