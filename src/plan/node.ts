// What every node gets regardless of the pod network: its underlay address and the sysctls
// kubeadm's preflight checks insist on (ip_forward, bridge-nf-call-iptables).
import type { ClusterModel, Node } from '../model/types.js';
import { netnsName } from '../model/names.js';
import type { Op } from './types.js';

/** Namespace-wide settings: they need no device, so they run alongside the underlay. */
export function planNodeSysctls(model: ClusterModel, node: Node): Op[] {
  const ns = netnsName(model.lab, node.name);
  return [
    { kind: 'sysctl', netns: ns, key: 'net.ipv4.ip_forward', value: '1' },
    { kind: 'sysctl', netns: ns, key: 'net.bridge.bridge-nf-call-iptables', value: '1' },
  ];
}

/** The node's own address on the underlay (its eth0 exists once the underlay step ran). */
export function planNodeBase(model: ClusterModel, node: Node): Op[] {
  const ns = netnsName(model.lab, node.name);
  return [
    { kind: 'ip', netns: ns, args: ['link', 'set', 'lo', 'up'] },
    { kind: 'ip', netns: ns, args: ['addr', 'add', `${node.ip}/${model.underlay.prefix}`, 'dev', 'eth0'] },
    { kind: 'ip', netns: ns, args: ['link', 'set', 'eth0', 'up'] },
  ];
}
