// A Calico-style dataplane without encapsulation (projectcalico/calico; cited per piece):
// - IPAM: /26 blocks of the IPPool, affine to a node, claimed on demand (cni/calico-ipam.ts);
// - per pod a veth "cali<hash>" with the fixed MAC ee:ee:ee:ee:ee:ee on the host side, proxy ARP
//   answering the pod's ARP for its gateway 169.254.1.1, a /32 route to the pod
//   (cni-plugin/pkg/dataplane/linux/dataplane_linux.go; cni/calico-names.ts);
// - no bridge, no tunnel: pods have a /32 address and a default route via 169.254.1.1;
// - BIRD on every node in a full iBGP mesh (AS 64512) announcing the node's blocks (as
//   blackhole routes locally) and programming the blocks it learns as `proto bird` routes via
//   the other nodes (confd templates, cni/bird.ts).
import type { ClusterModel, Node, Pod } from '../../model/types.js';
import { intToIp, parseCidr } from '../../net/cidr.js';
import { labStateDir, macFor, netnsName, PROCESS_MARKER } from '../../model/names.js';
import { vethPair } from '../links.js';
import type { Op, ProcessSpec } from '../types.js';
import { addNodeAddress, emptyCniPlan, type CniBackend, type CniPlan, type DynamicCni } from './types.js';
import { blocksOfNode, type CalicoBlock } from '../../model/calico-ipam.js';
import { CALICO_DEFAULT_AS, renderBirdConfig } from './bird.js';
import { CALICO_HOST_SIDE_MAC, calicoHostRoute, calicoHostVethSysctls, calicoPodAddress, calicoPodRoutes, calicoVethName } from './calico-names.js';

export const birdConfigPath = (node: string) => `bird/${node}.conf`;
export const birdSocketPath = (node: string) => `bird/${node}.ctl`;

/** IP-in-IP adds one 20-byte IPv4 header: Calico sets tunl0 and the pods' veths to MTU - 20. */
export const IPIP_OVERHEAD = 20;

function planCalicoBgp(model: ClusterModel): CniPlan {
  return planCalico(model, false);
}

/** The CNI plugin's ADD for one pod: the cali veth (fixed MAC host side, moved into the pod),
 * the /32 route to it, then the pod's /32 address and its routes via 169.254.1.1. */
function calicoPodOps(
  model: ClusterModel,
  nodeName: string,
  pod: Pick<Pod, 'name' | 'namespace' | 'ip'>,
  mtu: string,
): { host: Op[]; pod: Op[]; veth: string } {
  const ns = netnsName(model.lab, nodeName);
  const veth = calicoVethName(pod.namespace, pod.name);
  const pns = netnsName(model.lab, pod.name);
  return {
    veth,
    host: [
      vethPair({ netns: ns, name: veth, mac: CALICO_HOST_SIDE_MAC, mtu, peerNetns: pns, peerMac: macFor(`${model.lab}/${pod.namespace}/${pod.name}/eth0`) }),
      { kind: 'ip', netns: ns, args: ['link', 'set', veth, 'up'] },
      { kind: 'ip', netns: ns, args: ['route', 'add', ...calicoHostRoute(pod.ip, veth)] },
    ],
    pod: [
      { kind: 'ip', netns: pns, args: ['link', 'set', 'lo', 'up'] },
      { kind: 'ip', netns: pns, args: ['addr', 'add', calicoPodAddress(pod.ip), 'dev', 'eth0'] },
      { kind: 'ip', netns: pns, args: ['link', 'set', 'eth0', 'up'] },
      ...calicoPodRoutes().map((r): Op => ({ kind: 'ip', netns: pns, args: ['route', 'add', ...r] })),
    ],
  };
}

/** Per-veth sysctls (proxy ARP and friends), once the veth exists. */
const vethSysctls = (ns: string, veth: string): Op[] =>
  calicoHostVethSysctls(veth).map(([key, value]): Op => ({ kind: 'sysctl', netns: ns, key, value, optional: key.startsWith('net.ipv6') }));

/** Proxy ARP answers for an address only if the node can route it out of another interface.
 * Pods ARP for 169.254.1.1, which real nodes route by their default route; a lab without an
 * internet router gives nodes a default route to the underlay's first address instead. */
function nodeDefaultRoute(model: ClusterModel, nodeName: string): Op[] {
  if (model.internet) return [];
  return [
    {
      kind: 'ip',
      netns: netnsName(model.lab, nodeName),
      args: ['route', 'add', 'default', 'via', intToIp(parseCidr(model.underlay.cidr).base + 1), 'dev', 'eth0', 'onlink'],
    },
  ];
}

/** BIRD's configuration for a node (calico-node's confd): its blocks, every node a peer. */
function birdConfigOp(model: ClusterModel, node: Node, blocks: readonly CalicoBlock[]): Op {
  return {
    kind: 'file',
    path: birdConfigPath(node.name),
    content: renderBirdConfig({
      nodeName: node.name,
      nodeIp: node.ip,
      asNumber: CALICO_DEFAULT_AS,
      blocks: blocksOfNode(blocks, node.name),
      peers: model.nodes.map((n) => ({ name: n.name, ip: n.ip })),
      ipPools: [model.network.podCIDR],
    }),
  };
}

function birdProcess(model: ClusterModel, nodeName: string): ProcessSpec {
  const state = labStateDir(model.lab);
  return {
    netns: netnsName(model.lab, nodeName),
    name: `${nodeName}/bird`,
    // -f: stay in the foreground (the harness owns the process); -s: the control socket birdc uses.
    argv: ['bird', '-f', '-c', `${state}/${birdConfigPath(nodeName)}`, '-s', `${state}/${birdSocketPath(nodeName)}`],
    env: { [PROCESS_MARKER]: model.lab },
    readyFile: birdSocketPath(nodeName),
  };
}

function planCalico(model: ClusterModel, ipip: boolean): CniPlan {
  const out: CniPlan = { ...emptyCniPlan(true), processes: [] };
  const mtu = String(model.underlay.mtu - (ipip ? IPIP_OVERHEAD : 0));
  for (const node of model.nodes) {
    const ns = netnsName(model.lab, node.name);
    const pods = model.pods.filter((p) => p.nodeName === node.name);
    const veths: string[] = [];
    for (const pod of pods) {
      const ops = calicoPodOps(model, node.name, pod, mtu);
      veths.push(ops.veth);
      out.hostVeths[`${pod.namespace}/${pod.name}`] = ops.veth;
      out.nodeOps.push(...ops.host);
      out.podOps.push(...ops.pod);
      out.interfaces[pod.name] = ['lo', 'eth0'];
    }
    // Per-veth sysctls exist only once the veths do: they follow the ip batch in this step.
    for (const veth of veths) out.nodeOps.push(...vethSysctls(ns, veth));
    out.interfaces[node.name] = ipip ? [...veths, 'tunl0'] : veths;
    if (ipip) out.nodeOps.push(...planTunl0(model, node.name, mtu));
    if (ipip && model.calicoTunnels?.[node.name]) addNodeAddress(out, node.name, model.calicoTunnels[node.name]);
    out.nodeOps.push(...nodeDefaultRoute(model, node.name));
    out.fileOps.push(birdConfigOp(model, node, model.calicoBlocks ?? []));
    out.processes!.push(birdProcess(model, node.name));
  }
  // Up means BGP has converged: every node routes every other node's blocks.
  const blocks = model.calicoBlocks ?? [];
  out.converged = model.nodes.map((n) => ({ netns: netnsName(model.lab, n.name), routes: blocks.filter((b) => b.node !== n.name).map((b) => b.cidr) }));
  return out;
}

/** calico-node and the Calico CNI plugin for node agents: BIRD with the node's blocks (its
 * configuration rewritten and reloaded as blocks are claimed), a cali veth per pod; in IP-in-IP
 * mode tunl0 with the node's tunnel address and the other nodes' blocks routed through it. */
function calicoDynamic(ipip: boolean): DynamicCni {
  const mtu = (model: ClusterModel) => String(model.underlay.mtu - (ipip ? IPIP_OVERHEAD : 0));
  return {
    ipam: 'calico',
    nodeSetup: (model, node) => ({
      ops: [
        ...(ipip ? [{ kind: 'ip', netns: netnsName(model.lab, node.name), args: ['link', 'set', 'tunl0', 'mtu', mtu(model), 'up'] } satisfies Op] : []),
        ...nodeDefaultRoute(model, node.name),
        birdConfigOp(model, node, []),
      ],
      addresses: [],
      processes: [birdProcess(model, node.name)],
    }),
    peerOps: () => [],
    peerRemoveOps: () => [],
    podSetup: (model, node, pod) => {
      const ops = calicoPodOps(model, node.name, pod, mtu(model));
      return { hostVeth: ops.veth, ops: [...ops.host, ...vethSysctls(netnsName(model.lab, node.name), ops.veth), ...ops.pod] };
    },
    blocksChanged: (model, node, blocks) => [
      birdConfigOp(model, node, blocks),
      { kind: 'bird-configure', socket: birdSocketPath(node.name) },
      ...(ipip ? tunl0Routes(model, node.name, blocks) : []),
    ],
    ...(ipip
      ? {
          tunnelAddressOps: (model: ClusterModel, node: Node, ip: string): Op[] => [
            { kind: 'ip', netns: netnsName(model.lab, node.name), args: ['addr', 'replace', `${ip}/32`, 'dev', 'tunl0'] },
          ],
        }
      : {}),
  };
}

/** IP-in-IP mode (ipipMode: Always): the kernel's fallback device tunl0 (created in every
 * namespace once the ipip module is loaded), up with MTU 1480 and the node's tunnel address
 * (allocated from IPAM by calico-node before the node's pods); the other nodes'
 * blocks routed "via <node IP> dev tunl0 onlink". Calico's BIRD fork programs those routes with
 * krt_tunnel = "tunl0"; stock BIRD 2 cannot choose the device, so they are programmed here, with
 * a metric below the BIRD routes (which stay for comparison) so the kernel prefers them. */
function planTunl0(model: ClusterModel, nodeName: string, mtu: string): Op[] {
  const ns = netnsName(model.lab, nodeName);
  const ops: Op[] = [{ kind: 'ip', netns: ns, args: ['link', 'set', 'tunl0', 'mtu', mtu, 'up'] }];
  const tunnelIp = model.calicoTunnels?.[nodeName];
  if (tunnelIp) ops.push({ kind: 'ip', netns: ns, args: ['addr', 'add', `${tunnelIp}/32`, 'dev', 'tunl0'] });
  return [...ops, ...tunl0Routes(model, nodeName, model.calicoBlocks ?? [])];
}

/** The other nodes' blocks via their node address through tunl0. */
function tunl0Routes(model: ClusterModel, nodeName: string, blocks: readonly CalicoBlock[]): Op[] {
  const ns = netnsName(model.lab, nodeName);
  return blocks.flatMap((b): Op[] => {
    const peer = model.nodes.find((n) => n.name === b.node);
    if (b.node === nodeName || !peer) return [];
    return [{ kind: 'ip', netns: ns, args: ['route', 'replace', b.cidr, 'via', peer.ip, 'dev', 'tunl0', 'onlink', 'metric', '10'] }];
  });
}

export const calicoIpip: CniBackend = {
  kind: 'calico-ipip',
  description: 'Calico-style routing with IP-in-IP: as calico-bgp, with the other blocks routed through tunl0 (MTU 1480)',
  enforcesPolicy: true,
  requires: ['CONFIG_VETH', 'CONFIG_NET_IPIP'],
  plan: (model) => planCalico(model, true),
  dynamic: calicoDynamic(true),
};

export const calicoBgp: CniBackend = {
  kind: 'calico-bgp',
  description: 'Calico-style routing: /26 IPAM blocks per node, cali* veths with proxy ARP, BIRD full iBGP mesh, no encapsulation',
  enforcesPolicy: true,
  requires: ['CONFIG_VETH'],
  plan: planCalicoBgp,
  dynamic: calicoDynamic(false),
};
