// The pod-network backends a lab can name in cluster.cni: one planner per kind the model knows
// (model/pod-networks.ts); the Record type makes a kind without a planner a compile error.
// Unknown names are rejected when the model is resolved, with the list of valid ones
// (containerlab's kind registry does the same).
import type { PodNetworkKind } from '../../model/pod-networks.js';
import type { CniBackend } from './types.js';
import { canal, flannelVxlan } from './flannel-vxlan.js';
import { flannelHostGw } from './flannel-host-gw.js';
import { calicoBgp, calicoIpip } from './calico-bgp.js';

const BACKENDS: Record<PodNetworkKind, CniBackend> = {
  'flannel-vxlan': flannelVxlan,
  'flannel-host-gw': flannelHostGw,
  'calico-bgp': calicoBgp,
  'calico-ipip': calicoIpip,
  canal,
};

export function cniBackends(): CniBackend[] {
  return Object.values(BACKENDS);
}

export function cniBackend(kind: PodNetworkKind): CniBackend {
  return BACKENDS[kind];
}
