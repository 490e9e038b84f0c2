// What a pod-network backend contributes to a lab's plan.
import type { ClusterModel } from '../../model/types.js';
import type { Op, ProcessSpec } from '../types.js';

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
  /** Daemons of the pod network (e.g. BIRD on every node). */
  processes?: ProcessSpec[];
  /** Routes each node must have before the lab is up (e.g. the blocks BGP teaches it). */
  converged?: { netns: string; routes: string[] }[];
}

export interface CniBackend {
  kind: string;
  description: string;
  /** Whether this pod network enforces NetworkPolicy (Calico does; flannel alone does not). */
  enforcesPolicy: boolean;
  /** Kernel features the backend needs, as CONFIG_ names (checked before `lab up`). */
  requires: string[];
  plan(model: ClusterModel): CniPlan;
}
