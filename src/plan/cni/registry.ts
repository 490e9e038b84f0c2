// The pod-network backends a lab can name in cluster.cni. Unknown names are rejected with the
// list of valid ones (containerlab's kind registry does the same).
import type { CniBackend } from './types.js';
import { canal, flannelVxlan } from './flannel-vxlan.js';
import { flannelHostGw } from './flannel-host-gw.js';
import { calicoBgp, calicoIpip } from './calico-bgp.js';

const BACKENDS: readonly CniBackend[] = [flannelVxlan, flannelHostGw, calicoBgp, calicoIpip, canal];

export function cniKinds(): string[] {
  return BACKENDS.map((b) => b.kind);
}

export function findCni(kind: string): CniBackend | undefined {
  return BACKENDS.find((b) => b.kind === kind);
}
