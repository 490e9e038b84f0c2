import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { buildArp, buildEthernet, buildIcmpEcho, buildIcmpFragNeeded, buildIpv4, buildTcp, buildUdp, buildVxlan, internetChecksum } from './build.js';
import { decodeEthernet, describeFrame, innermost } from './decode.js';
import { INNER_DST_MAC, INNER_SRC_MAC, OUTER_DST_MAC, OUTER_SRC_MAC, PING_DATA, innerEcho, vxlanEcho } from './testing/frames.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

function ipFrame(protocol: number, payload: Buffer, extra: Partial<Parameters<typeof buildIpv4>[0]> = {}): Buffer {
  return buildEthernet({
    src: MAC_A,
    dst: MAC_B,
    etherType: 0x0800,
    payload: buildIpv4({ src: '10.8.0.5', dst: '10.8.1.10', protocol, payload, ...extra }),
  });
}

describe('decodeEthernet: VXLAN', () => {
  it('decodes every field of a flannel VXLAN (port 8472, VNI 1) ICMP echo', () => {
    const buf = vxlanEcho(8472, 1);
    const f = decodeEthernet(buf);

    expect(f.truncated).toBeUndefined();
    expect(f.frameLength).toBe(buf.length);
    expect(f.eth).toEqual({ src: OUTER_SRC_MAC, dst: OUTER_DST_MAC, etherType: 0x0800 });
    expect(f.ipv4).toEqual({
      src: '10.10.20.4',
      dst: '10.10.20.5',
      protocol: 17,
      ttl: 64,
      totalLength: buf.length - 14,
      id: 0x4321,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      headerLength: 20,
    });
    expect(f.udp).toEqual({ srcPort: 38211, dstPort: 8472, length: buf.length - 14 - 20 });
    expect(f.payload).toBeUndefined();
    expect(f.icmp).toBeUndefined();
    expect(f.vxlan?.vni).toBe(1);
    expect(f.vxlan?.flags).toBe(0x08);

    const inner = f.vxlan!.inner;
    expect(inner.frameLength).toBe(innerEcho().length);
    expect(f.frameLength - inner.frameLength).toBe(50);
    expect(inner.eth).toEqual({ src: INNER_SRC_MAC, dst: INNER_DST_MAC, etherType: 0x0800 });
    expect(inner.ipv4).toEqual({
      src: '10.8.0.5',
      dst: '10.8.1.10',
      protocol: 1,
      ttl: 63,
      totalLength: 20 + 8 + PING_DATA.length,
      id: 0x1234,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      headerLength: 20,
    });
    expect(inner.icmp).toEqual({ type: 8, code: 0, id: 3, seq: 1 });
    expect(inner.payload?.equals(PING_DATA)).toBe(true);
    expect(inner.udp).toBeUndefined();
    expect(inner.vxlan).toBeUndefined();
    expect(innermost(f)).toBe(inner);
    expect(innermost(inner)).toBe(inner);

    expect(describeFrame(f)).toBe('10.10.20.4.38211 > 10.10.20.5.8472 VXLAN vni 1 | 10.8.0.5 > 10.8.1.10 ICMP echo request id 3 seq 1');
  });

  it('decodes the IANA port 4789 and a 24-bit VNI', () => {
    const f = decodeEthernet(vxlanEcho(4789, 0xabcdef));
    expect(f.udp?.dstPort).toBe(4789);
    expect(f.vxlan?.vni).toBe(0xabcdef);
    expect(innermost(f).ipv4?.dst).toBe('10.8.1.10');
    expect(innermost(f).icmp?.seq).toBe(1);
  });

  it('leaves UDP to a non-VXLAN port undecoded, and honours vxlanPorts', () => {
    const buf = vxlanEcho(9999, 1);
    const f = decodeEthernet(buf);
    expect(f.udp?.dstPort).toBe(9999);
    expect(f.vxlan).toBeUndefined();
    expect(f.payload?.length).toBe(8 + innerEcho().length);
    expect(innermost(f)).toBe(f);
    expect(describeFrame(f)).toBe(`10.10.20.4 > 10.10.20.5 UDP 38211 > 9999 len ${8 + innerEcho().length}`);

    expect(decodeEthernet(buf, { vxlanPorts: [9999] }).vxlan?.vni).toBe(1);
    expect(decodeEthernet(vxlanEcho(8472), { vxlanPorts: [4789] }).vxlan).toBeUndefined();
  });

  it('does not treat a header without the I flag as VXLAN (the kernel drops it)', () => {
    const buf = vxlanEcho(4789, 7);
    buf[14 + 20 + 8] = 0x00; // VXLAN flags byte
    const f = decodeEthernet(buf);
    expect(f.vxlan).toBeUndefined();
    expect(f.payload?.length).toBe(8 + innerEcho().length);
  });

  it('marks a VXLAN frame truncated when the inner headers were cut off by the snaplen', () => {
    const full = vxlanEcho();
    const short = full.subarray(0, 14 + 20 + 8 + 8 + 14 + 10); // inner IPv4 header cut in half
    const f = decodeEthernet(short, undefined, full.length);
    expect(f.frameLength).toBe(full.length);
    expect(f.truncated).toBe(true);
    expect(f.vxlan?.vni).toBe(1);
    expect(f.vxlan?.inner.frameLength).toBe(full.length - 50);
    expect(f.vxlan?.inner.truncated).toBe(true);
    expect(f.vxlan?.inner.eth.src).toBe(INNER_SRC_MAC);
    expect(f.vxlan?.inner.ipv4).toBeUndefined();
  });
});

describe('decodeEthernet: truncated and garbage input never throws', () => {
  it('handles frames shorter than an Ethernet header', () => {
    expect(decodeEthernet(Buffer.alloc(0))).toEqual({
      frameLength: 0,
      eth: { src: '', dst: '', etherType: 0 },
      truncated: true,
    });
    const f = decodeEthernet(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(f.eth.dst).toBe('01:02:03:04:05:06');
    expect(f.eth.src).toBe('');
    expect(f.truncated).toBe(true);
  });

  it('keeps what fits at every cut point of a TCP frame', () => {
    const full = ipFrame(6, buildTcp({ srcPort: 43512, dstPort: 80, flags: 'S', seq: 1 }));
    for (let n = 0; n < full.length; n++) {
      const f = decodeEthernet(full.subarray(0, n));
      expect(f.truncated, `cut at ${n}`).toBe(true);
      expect(f.frameLength).toBe(n);
      expect(f.ipv4 !== undefined).toBe(n >= 34);
      expect(f.tcp).toBeUndefined();
    }
    expect(decodeEthernet(full).truncated).toBeUndefined();
    expect(decodeEthernet(full).tcp?.flags).toBe('S');
  });

  it('keeps ICMP type/code when the echo header is cut short', () => {
    const full = ipFrame(1, buildIcmpEcho({ type: 0, id: 9, seq: 2 }));
    const f = decodeEthernet(full.subarray(0, 14 + 20 + 4));
    expect(f.icmp).toEqual({ type: 0, code: 0 });
    expect(f.truncated).toBe(true);
  });

  it('does not decode random bytes as IPv4 or throw on them', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 500; i++) {
      const buf = Buffer.from(Array.from({ length: (i * 7) % 200 }, rand));
      expect(() => describeFrame(decodeEthernet(buf))).not.toThrow();
    }
    const notIpv4 = ipFrame(6, buildTcp({ srcPort: 1, dstPort: 2, flags: 'S' }));
    notIpv4[14] = 0x65; // version 6 in an IPv4 EtherType
    expect(decodeEthernet(notIpv4).ipv4).toBeUndefined();
  });

  it('ignores Ethernet padding after the IP datagram', () => {
    const frame = ipFrame(17, buildUdp({ srcPort: 5000, dstPort: 53, payload: Buffer.from('hi') }));
    const padded = Buffer.concat([frame, Buffer.alloc(60 - frame.length)]);
    const f = decodeEthernet(padded);
    expect(f.frameLength).toBe(60);
    expect(f.payload?.toString()).toBe('hi');
  });
});

describe('decodeEthernet: TCP', () => {
  it.each([
    ['S', 'S'],
    ['SA', 'SA'],
    ['AS', 'SA'], // normalised to tcpdump order
    ['PA', 'PA'],
    ['F', 'F'],
    ['FA', 'FA'],
    ['R', 'R'],
    ['RA', 'RA'],
    ['A', 'A'],
    ['', ''],
  ])('flags %j decode as %j', (given, expected) => {
    const f = decodeEthernet(ipFrame(6, buildTcp({ srcPort: 1, dstPort: 2, flags: given })));
    expect(f.tcp?.flags).toBe(expected);
  });

  it('decodes ports, seq/ack, payload and describes the segment', () => {
    const data = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const f = decodeEthernet(
      ipFrame(6, buildTcp({ srcPort: 43512, dstPort: 80, flags: 'PA', seq: 0xfffffff0, ack: 1001, payload: data }), {
        dontFragment: true,
      }),
    );
    expect(f.tcp).toEqual({ srcPort: 43512, dstPort: 80, seq: 0xfffffff0, ack: 1001, flags: 'PA', payloadLength: data.length });
    expect(f.payload?.equals(data)).toBe(true);
    expect(describeFrame(f)).toBe(`10.8.0.5 > 10.8.1.10 TCP 43512 > 80 [PA] len ${data.length}`);
  });

  it('describes a SYN like the documented example', () => {
    const f = decodeEthernet(ipFrame(6, buildTcp({ srcPort: 43512, dstPort: 80, flags: 'S' }), { dontFragment: true }));
    expect(describeFrame(f)).toBe('10.8.0.5 > 10.8.1.10 TCP 43512 > 80 [S] len 0');
  });

  it('reports the payload length from the IP header when the capture is short (snaplen)', () => {
    const full = ipFrame(6, buildTcp({ srcPort: 1, dstPort: 2, flags: 'PA', payload: Buffer.alloc(1000, 0x61) }));
    const f = decodeEthernet(full.subarray(0, 100), undefined, full.length);
    expect(f.frameLength).toBe(full.length);
    expect(f.tcp?.payloadLength).toBe(1000);
    expect(f.payload?.length).toBe(100 - 54);
    expect(f.truncated).toBeUndefined();
  });
});

describe('decodeEthernet: VLAN, ARP, ICMP errors, fragments', () => {
  it('decodes an 802.1Q-tagged frame', () => {
    const buf = buildEthernet({
      src: MAC_A,
      dst: MAC_B,
      etherType: 0x0800,
      vlan: 100,
      payload: buildIpv4({ src: '192.168.1.1', dst: '192.168.1.2', protocol: 17, payload: buildUdp({ srcPort: 1, dstPort: 2, payload: Buffer.from('x') }) }),
    });
    expect(buf.readUInt16BE(12)).toBe(0x8100);
    const f = decodeEthernet(buf);
    expect(f.eth).toEqual({ src: MAC_A, dst: MAC_B, etherType: 0x0800, vlan: 100 });
    expect(f.ipv4?.src).toBe('192.168.1.1');
    expect(f.udp).toEqual({ srcPort: 1, dstPort: 2, length: 9 });
    expect(describeFrame(f)).toBe('vlan 100 192.168.1.1 > 192.168.1.2 UDP 1 > 2 len 1');
  });

  it('decodes VXLAN carried on a VLAN and a VLAN inside VXLAN', () => {
    const innerTagged = buildEthernet({ src: MAC_A, dst: MAC_B, etherType: 0x0800, vlan: 7, payload: innerEcho().subarray(14) });
    const outer = buildEthernet({
      src: MAC_A,
      dst: MAC_B,
      etherType: 0x0800,
      vlan: 20,
      payload: buildIpv4({
        src: '10.10.20.4',
        dst: '10.10.20.5',
        protocol: 17,
        payload: buildUdp({ srcPort: 1, dstPort: 4789, payload: buildVxlan({ vni: 5, inner: innerTagged }) }),
      }),
    });
    const f = decodeEthernet(outer);
    expect(f.eth.vlan).toBe(20);
    expect(f.vxlan?.inner.eth.vlan).toBe(7);
    expect(innermost(f).icmp?.id).toBe(3);
    expect(f.frameLength - f.vxlan!.inner.frameLength).toBe(54);
  });

  it('decodes ARP request and reply', () => {
    const req = decodeEthernet(
      buildEthernet({
        src: MAC_A,
        dst: 'ff:ff:ff:ff:ff:ff',
        etherType: 0x0806,
        payload: buildArp({ op: 1, senderMac: MAC_A, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' }),
      }),
    );
    expect(req.arp).toEqual({ op: 1, senderMac: MAC_A, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    expect(describeFrame(req)).toBe('ARP who-has 10.0.0.2 tell 10.0.0.1');
    const rep = decodeEthernet(
      buildEthernet({
        src: MAC_B,
        dst: MAC_A,
        etherType: 0x0806,
        payload: buildArp({ op: 2, senderMac: MAC_B, senderIp: '10.0.0.2', targetMac: MAC_A, targetIp: '10.0.0.1' }),
      }),
    );
    expect(describeFrame(rep)).toBe(`ARP reply 10.0.0.2 is-at ${MAC_B}`);
  });

  it('reads the next-hop MTU of an ICMP fragmentation-needed error', () => {
    const original = buildIpv4({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 6, dontFragment: true, payload: Buffer.alloc(8) });
    const f = decodeEthernet(ipFrame(1, buildIcmpFragNeeded({ nextHopMtu: 1450, original })));
    expect(f.icmp).toEqual({ type: 3, code: 4, nextHopMtu: 1450 });
    expect(f.payload?.equals(original)).toBe(true);
    expect(describeFrame(f)).toBe('10.8.0.5 > 10.8.1.10 ICMP frag needed mtu 1450');
  });

  it('decodes fragment fields and does not invent L4 headers for later fragments', () => {
    const first = decodeEthernet(ipFrame(17, Buffer.alloc(24), { id: 77, moreFragments: true }));
    expect(first.ipv4).toMatchObject({ id: 77, moreFragments: true, fragmentOffset: 0 });
    expect(first.udp).toBeDefined();
    const later = decodeEthernet(ipFrame(17, Buffer.alloc(16, 0xff), { id: 77, fragmentOffset: 1480 }));
    expect(later.ipv4).toMatchObject({ id: 77, moreFragments: false, fragmentOffset: 1480 });
    expect(later.udp).toBeUndefined();
    expect(describeFrame(later)).toBe('10.8.0.5 > 10.8.1.10 frag id 77 offset 1480 len 16');
  });

  it('describes non-IP frames by EtherType', () => {
    const f = decodeEthernet(buildEthernet({ src: MAC_A, dst: MAC_B, etherType: 0x86dd, payload: Buffer.alloc(40) }));
    expect(describeFrame(f)).toBe(`${MAC_A} > ${MAC_B} ethertype 0x86dd len 54`);
  });
});

describe('build helpers', () => {
  it('produce valid IPv4 and ICMP checksums', () => {
    const ip = buildIpv4({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 1, payload: buildIcmpEcho({ type: 8, id: 3, seq: 1, data: PING_DATA }) });
    expect(internetChecksum(ip.subarray(0, 20))).toBe(0); // a correct header sums to 0xffff
    expect(internetChecksum(ip.subarray(20))).toBe(0);
    // Known vector: RFC 1071-style example header from Wikipedia's IPv4 checksum article.
    const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(internetChecksum(h)).toBe(0xb861);
  });

  it('reject malformed addresses and flag letters', () => {
    expect(() => buildEthernet({ src: 'zz', dst: MAC_B, etherType: 0x800, payload: Buffer.alloc(0) })).toThrow(/MAC/);
    expect(() => buildIpv4({ src: '10.0.0.256', dst: '10.0.0.1', protocol: 1, payload: Buffer.alloc(0) })).toThrow(/IPv4/);
    expect(() => buildTcp({ srcPort: 1, dstPort: 2, flags: 'SX' })).toThrow(/flag/);
  });
});
