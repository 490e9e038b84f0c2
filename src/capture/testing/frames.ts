// Frames shared by the capture tests: the overlay packet a flannel-style VXLAN lab produces
// (node 10.10.20.4 -> node 10.10.20.5, pod 10.8.0.5 -> pod 10.8.1.10 ping).
import { Buffer } from 'node:buffer';
import { buildEthernet, buildIcmpEcho, buildIpv4, buildUdp, buildVxlan } from '../build.js';

export const OUTER_SRC_MAC = '02:00:0a:0a:14:04';
export const OUTER_DST_MAC = '02:00:0a:0a:14:05';
export const INNER_SRC_MAC = 'aa:bb:cc:00:00:05';
export const INNER_DST_MAC = 'aa:bb:cc:01:00:0a';
export const PING_DATA = Buffer.from('wirelab-ping-0123456789abcdef', 'ascii');

export function innerEcho(): Buffer {
  return buildEthernet({
    src: INNER_SRC_MAC,
    dst: INNER_DST_MAC,
    etherType: 0x0800,
    payload: buildIpv4({
      src: '10.8.0.5',
      dst: '10.8.1.10',
      protocol: 1,
      ttl: 63,
      id: 0x1234,
      dontFragment: true,
      payload: buildIcmpEcho({ type: 8, id: 3, seq: 1, data: PING_DATA }),
    }),
  });
}

export function vxlanEcho(dstPort = 8472, vni = 1): Buffer {
  return buildEthernet({
    src: OUTER_SRC_MAC,
    dst: OUTER_DST_MAC,
    etherType: 0x0800,
    payload: buildIpv4({
      src: '10.10.20.4',
      dst: '10.10.20.5',
      protocol: 17,
      ttl: 64,
      id: 0x4321,
      payload: buildUdp({ srcPort: 38211, dstPort, payload: buildVxlan({ vni, inner: innerEcho() }) }),
    }),
  });
}
