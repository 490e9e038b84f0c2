// Links every part of a lab is wired with. A veth pair is created from one namespace with its
// peer directly inside the other (`peer ... netns`): moving a device between namespaces
// afterwards costs ~16 ms each.
import type { Op } from './types.js';

export interface VethPair {
  /** Where the pair is created; the near end stays here. */
  netns: string;
  name: string;
  /** The near end's MAC (default: the kernel's random one). */
  mac?: string;
  /** Both ends' MTU (default: the kernel's 1500). */
  mtu?: number | string;
  peerNetns: string;
  /** The far end's name (a pod's or node's eth0). */
  peerName?: string;
  peerMac: string;
}

export function vethPair(v: VethPair): Op {
  const mtu = v.mtu === undefined ? [] : ['mtu', String(v.mtu)];
  return {
    kind: 'ip',
    netns: v.netns,
    args: [
      'link',
      'add',
      v.name,
      ...(v.mac ? ['address', v.mac] : []),
      ...mtu,
      'type',
      'veth',
      'peer',
      'name',
      v.peerName ?? 'eth0',
      'address',
      v.peerMac,
      ...mtu,
      'netns',
      v.peerNetns,
    ],
  };
}

/** A port on a bridge, up. */
export function bridgePort(netns: string, port: string, bridge: string): Op {
  return { kind: 'ip', netns, args: ['link', 'set', port, 'master', bridge, 'up'] };
}
