// What a pod-network backend contributes to a lab's plan, and what it tells the other planners
// (kube-proxy, the policy engine) about the nodes it programmed: data, never argv to dig in.
import type { ClusterModel, Node, Pod } from '../../model/types.js';
import type { PodNetworkKind } from '../../model/pod-networks.js';
import type { Op, ProcessSpec } from '../types.js';
import type { CalicoBlock } from '../../model/calico-ipam.js';

export interface CniPlan {
  /** Node-side devices, neighbours, FDB entries and routes (run after the underlay exists). */
  nodeOps: Op[];
  /** Inside each pod: addresses and routes on the pod's eth0 (run after the veths exist). */
  podOps: Op[];
  /** iptables-restore per node. */
  ruleOps: Op[];
  /** Files in the state directory (flannel's subnet.env). */
  fileOps: Op[];
  /** Interfaces each node or pod gets from this backend, by lab-local name. */
  interfaces: Record<string, string[]>;
  /** Addresses the backend puts on each node besides its eth0 (cni0's gateway, flannel.1's lease
   * network address, tunl0's tunnel address), by node name: kube-proxy's IPVS mode serves
   * NodePorts on every local address. */
  nodeAddresses: Record<string, string[]>;
  /** The host side of each pod's veth, by "namespace/name": where the policy engine hooks in. */
  hostVeths: Record<string, string>;
  /** Whether this pod network enforces NetworkPolicy (Calico does; flannel alone does not). */
  enforcesPolicy: boolean;
  /** Daemons of the pod network (e.g. BIRD on every node). */
  processes?: ProcessSpec[];
  /** Routes each node must have before the lab is up (e.g. the blocks BGP teaches it). */
  converged?: { netns: string; routes: string[] }[];
}

/** A pod network as a node agent runs it, one event at a time (flanneld and the CNI plugin):
 * the node once its pod range is known, each other node as it appears or goes, each pod. The
 * static plan (`plan`) is made of the same pieces. */
export interface DynamicCni {
  /** Where pods' addresses come from: the node's podCIDR (host-local, as flannel's CNI config
   * has it), or Calico IPAM's blocks. */
  ipam: 'host-local' | 'calico';
  /** Devices, rules, files and daemons of the node (with host-local IPAM: its podCIDR set). */
  nodeSetup(model: ClusterModel, node: Node): { ops: Op[]; addresses: string[]; processes?: ProcessSpec[] };
  /** What this node needs to reach another node's pod range, and what undoes it. */
  peerOps(model: ClusterModel, node: Node, peer: Node): Op[];
  peerRemoveOps(model: ClusterModel, node: Node, peer: Node): Op[];
  /** A pod's network (the plugin's ADD): node side, then the pod's own namespace. */
  podSetup(model: ClusterModel, node: Node, pod: Pick<Pod, 'name' | 'namespace' | 'ip'>): { ops: Op[]; hostVeth: string };
  /** What the daemon writes on its Node object (flannel's lease annotations). */
  nodeAnnotations?(model: ClusterModel, node: Node): Record<string, string>;
  /** Calico IPAM: what the node does when the pool's blocks (every node's) change. */
  blocksChanged?(model: ClusterModel, node: Node, blocks: readonly CalicoBlock[]): Op[];
  /** Calico IP-in-IP: the node's tunnel address (from IPAM, before any pod) on tunl0. */
  tunnelAddressOps?(model: ClusterModel, node: Node, ip: string): Op[];
}

export interface CniBackend {
  kind: PodNetworkKind;
  description: string;
  /** Whether this pod network enforces NetworkPolicy (Calico does; flannel alone does not). */
  enforcesPolicy: boolean;
  /** Kernel features the backend needs, as CONFIG_ names (checked before `lab up`). */
  requires: string[];
  plan(model: ClusterModel): CniPlan;
  /** How node agents run it; absent: only the static path (no control plane) knows this network. */
  dynamic?: DynamicCni;
}

/** An empty plan for a backend to fill in. */
export function emptyCniPlan(enforcesPolicy: boolean): CniPlan {
  return { nodeOps: [], podOps: [], ruleOps: [], fileOps: [], interfaces: {}, nodeAddresses: {}, hostVeths: {}, enforcesPolicy };
}

/** Records an address the backend put on a node. */
export function addNodeAddress(plan: Pick<CniPlan, 'nodeAddresses'>, node: string, ip: string): void {
  (plan.nodeAddresses[node] ??= []).push(ip);
}
