// IP-in-IP (Calico's tunl0): the outer IPv4 header (protocol 4) carries the pod's IPv4 packet;
// 20 bytes of overhead, no inner Ethernet header.
import { describe, expect, it } from 'vitest';
import { buildEthernet, buildIcmpEcho, buildIpv4 } from '../capture/build.js';
import { decodeEthernet, describeFrame, innermost } from '../capture/decode.js';
import { mismatches } from './hops.js';

const innerIp = buildIpv4({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 1, payload: buildIcmpEcho({ type: 8, id: 7, seq: 1, data: Buffer.alloc(56) }) });
const outer = buildEthernet({
  src: '02:00:00:00:00:04',
  dst: '02:00:00:00:00:05',
  etherType: 0x0800,
  payload: buildIpv4({ src: '10.10.20.4', dst: '10.10.20.5', protocol: 4, payload: innerIp }),
});

describe('IP-in-IP', () => {
  it('decodes the encapsulated packet and its ICMP', () => {
    const f = decodeEthernet(outer);
    expect(f.ipv4).toMatchObject({ src: '10.10.20.4', dst: '10.10.20.5', protocol: 4 });
    expect(f.ipip?.inner.ipv4).toMatchObject({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 1, totalLength: 84 });
    expect(innermost(f).icmp).toMatchObject({ type: 8, id: 7, seq: 1 });
    expect(describeFrame(f)).toBe('10.10.20.4 > 10.10.20.5 IPIP | 10.8.0.5 > 10.8.1.10 ICMP echo request id 7 seq 1');
  });

  it('has exactly 20 bytes of overhead over the pod frame', () => {
    const f = decodeEthernet(outer);
    expect(f.frameLength - f.ipip!.inner.frameLength).toBe(20);
    expect(mismatches(f, { ipip: true, overhead: 20, inner: { src: '10.8.0.5', dst: '10.8.1.10' } }, (x) => x)).toEqual([]);
    expect(mismatches(f, { ipip: true, overhead: 50 }, (x) => x)).toEqual(['overhead is 20, expected 50']);
    expect(mismatches(f, { vxlan: { vni: 1 } }, (x) => x)).toEqual(['not VXLAN-encapsulated']);
  });
});
