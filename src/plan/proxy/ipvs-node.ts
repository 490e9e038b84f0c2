// kube-proxy in IPVS mode on one lab node: the restore ops, NewProxier's sysctls and kube-ipvs0
// with its addresses (kubernetes/kubernetes pkg/proxy/ipvs/proxier.go, netlink_linux.go).
import type { ClusterModel, Node } from '../../model/types.js';
import { ipToInt } from '../../net/cidr.js';
import { netnsName } from '../../model/names.js';
import type { Op } from '../types.js';
import { DUMMY_DEVICE } from './ipvs-chains.js';
import { ipvsSysctls } from './ipvs-sysctls.js';
import { isIPv4NonLoopback, renderIpvsRuleset } from './ipvs.js';
import type { IpvsProxyInput } from './ipvs-types.js';
import { ipsetRestoreText, ipvsadmRestoreText, ipvsIptablesRestoreText } from './ipvs-restore.js';

/** Kernel features IPVS mode needs (checked before `lab up`). */
export const IPVS_REQUIRES: string[] = ['CONFIG_IP_VS', 'CONFIG_DUMMY', 'CONFIG_IP_SET', 'CONFIG_NF_CONNTRACK'];

// ---- the node plan ----------------------------------------------------------------------------

export interface IpvsNodeOptions {
  /** --ipvs-strict-arp. Default: on when the lab has MetalLB address pools (MetalLB requires it
   * in IPVS mode, or every node answers ARP for the LB IPs on kube-ipvs0); else kube-proxy's false. */
  strictARP?: boolean;
  /** Kernel version for the conn_reuse_mode decision (default: a kernel >= 5.9). */
  kernelVersion?: string;
  scheduler?: string;
  /** Overrides the node's local addresses (default: eth0 plus what the pod network reports). */
  nodeAddresses?: string[];
}

/**
 * The node's addresses outside kube-ipvs0 (GetAllLocalAddressesExcept): its underlay address plus
 * every address the pod network puts on the node (cni0's gateway, flannel.1's lease address), as
 * the pod network's plan reports them.
 */
export function nodeLocalAddresses(node: Node, podNetworkAddresses: string[]): string[] {
  const all = [node.ip, ...podNetworkAddresses].filter(isIPv4NonLoopback);
  return [...new Set(all)].sort((a, b) => ipToInt(a) - ipToInt(b));
}

export function ipvsInputFor(model: ClusterModel, node: Node, podNetworkAddresses: string[], opts: IpvsNodeOptions = {}): IpvsProxyInput {
  return {
    hostname: node.name,
    nodeIP: node.ip,
    nodeAddresses: opts.nodeAddresses ?? nodeLocalAddresses(node, podNetworkAddresses),
    clusterCIDR: model.network.podCIDR,
    services: model.services,
    endpointSlices: model.endpointSlices,
    scheduler: opts.scheduler,
  };
}

/**
 * kube-proxy in IPVS mode on one node.
 * ruleOps (before the node's devices exist): ipset restore, iptables-restore (in that order: the
 * iptables rules match the sets). nodeOps, after the pod network's devices and routes: the
 * ipvsadm-restore (the kernel refuses a real server whose address the node cannot route:
 * ip_vs_ctl.c ip_vs_new_dest wants RTN_UNICAST or RTN_LOCAL, "address not unicast"; it also
 * loads ip_vs), then NewProxier's sysctls (the net.ipv4.vs ones exist once ip_vs is loaded),
 * then kube-ipvs0 (`ip link add ... type dummy`, left down like EnsureDummyDevice leaves it) and
 * its /32 addresses in binding order. On a real node kube-proxy syncs after the CNI is up, too.
 */
export function planIpvsNode(model: ClusterModel, node: Node, podNetworkAddresses: string[], opts: IpvsNodeOptions = {}): { ruleOps: Op[]; nodeOps: Op[] } {
  const netns = netnsName(model.lab, node.name);
  const ruleset = renderIpvsRuleset(ipvsInputFor(model, node, podNetworkAddresses, opts));
  const strictARP = opts.strictARP ?? model.addressPools.length > 0;
  return {
    ruleOps: [
      { kind: 'restore', netns, tool: 'ipset', input: ipsetRestoreText(ruleset) },
      { kind: 'iptables-restore', netns, rules: ipvsIptablesRestoreText(ruleset) },
    ],
    nodeOps: [
      { kind: 'restore', netns, tool: 'ipvsadm', input: ipvsadmRestoreText(ruleset) },
      ...ipvsSysctls({ strictARP, kernelVersion: opts.kernelVersion }).map((s): Op => ({ kind: 'sysctl', netns, key: s.key, value: s.value, optional: false })),
      // txqueuelen 0: EnsureDummyDevice (pkg/proxy/ipvs/netlink_linux.go:90) adds a netlink.Dummy
      // whose LinkAttrs are zero, and netlink v1.3.1's LinkAdd sends IFLA_TXQLEN whenever TxQLen >= 0
      // (link_linux.go:1609); `ip link add` alone would give the kernel's 1000. Seen in the
      // differential test against the real kube-proxy (kube-proxy-ipvs-diff.test.ts).
      { kind: 'ip', netns, args: ['link', 'add', DUMMY_DEVICE, 'txqueuelen', '0', 'type', 'dummy'] },
      ...ruleset.bindAddresses.map((ip): Op => ({ kind: 'ip', netns, args: ['addr', 'add', `${ip}/32`, 'dev', DUMMY_DEVICE] })),
    ],
  };
}
