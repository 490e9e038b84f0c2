import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEthernet, buildIcmpEcho, buildIpv4, buildTcp } from './build.js';
import { describeFrame, innermost } from './decode.js';
import { readPcapFile, writePcap } from './pcap.js';
import { vxlanEcho } from './testing/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'wirelab-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tmpFile(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const syn = buildEthernet({
  src: '02:00:00:00:00:01',
  dst: '02:00:00:00:00:02',
  etherType: 0x0800,
  payload: buildIpv4({
    src: '10.8.0.5',
    dst: '10.8.1.10',
    protocol: 6,
    dontFragment: true,
    payload: buildTcp({ srcPort: 43512, dstPort: 80, flags: 'S', seq: 1000 }),
  }),
});

describe('writePcap', () => {
  it('writes a libpcap 2.4 Ethernet header and per-packet records', () => {
    const file = writePcap([{ data: syn, timeMs: 1_700_000_000_123.456, originalLength: 1514 }]);
    expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(file.readUInt16LE(4)).toBe(2);
    expect(file.readUInt16LE(6)).toBe(4);
    expect(file.readUInt32LE(16)).toBe(262144);
    expect(file.readUInt32LE(20)).toBe(1);
    expect(file.readUInt32LE(24)).toBe(1_700_000_000);
    expect(file.readUInt32LE(28)).toBe(123_456);
    expect(file.readUInt32LE(32)).toBe(syn.length);
    expect(file.readUInt32LE(36)).toBe(1514);
    expect(file.length).toBe(24 + 16 + syn.length);
  });
});

describe('readPcapFile', () => {
  it('round-trips writePcap -> file -> readPcapFile', async () => {
    const vx = vxlanEcho(8472, 1);
    const path = tmpFile(
      'round-trip.pcap',
      writePcap([
        { data: vx, timeMs: 1_700_000_000_000.5 },
        { data: syn.subarray(0, 40), timeMs: 1_700_000_000_250, originalLength: syn.length },
        { data: vxlanEcho(4789, 42) },
      ]),
    );
    const packets = await readPcapFile(path);
    expect(packets).toHaveLength(3);

    const [a, b, c] = packets;
    expect(a.index).toBe(0);
    expect(a.timeMs).toBeCloseTo(1_700_000_000_000.5, 3);
    expect(a.capturedLength).toBe(vx.length);
    expect(a.originalLength).toBe(vx.length);
    expect(a.frame.vxlan?.vni).toBe(1);
    expect(a.frame.frameLength - a.frame.vxlan!.inner.frameLength).toBe(50);
    expect(describeFrame(a.frame)).toBe('10.10.20.4.38211 > 10.10.20.5.8472 VXLAN vni 1 | 10.8.0.5 > 10.8.1.10 ICMP echo request id 3 seq 1');

    expect(b.index).toBe(1);
    expect(b.timeMs).toBe(1_700_000_000_250);
    expect(b.capturedLength).toBe(40);
    expect(b.originalLength).toBe(syn.length);
    expect(b.frame.frameLength).toBe(syn.length);
    expect(b.frame.truncated).toBe(true);
    expect(b.frame.ipv4?.dst).toBe('10.8.1.10');

    expect(c.timeMs).toBe(0);
    expect(c.frame.udp?.dstPort).toBe(4789);
    expect(innermost(c.frame).icmp).toEqual({ type: 8, code: 0, id: 3, seq: 1 });
  });

  it('passes decode options through', async () => {
    const path = tmpFile('opts.pcap', writePcap([{ data: vxlanEcho(8472) }]));
    const [p] = await readPcapFile(path, { vxlanPorts: [4789] });
    expect(p.frame.vxlan).toBeUndefined();
    expect(p.frame.udp?.dstPort).toBe(8472);
  });

  it('reads a file bigger than one stream chunk (64 KiB)', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ data: vxlanEcho(8472, i + 1), timeMs: i }));
    const packets = await readPcapFile(tmpFile('big.pcap', writePcap(many)));
    expect(packets).toHaveLength(1000);
    expect(packets[999].frame.vxlan?.vni).toBe(1000);
    expect(packets[999].timeMs).toBe(999);
  });

  it('returns [] for an empty file, a partial header, and a header-only file', async () => {
    expect(await readPcapFile(tmpFile('empty.pcap', Buffer.alloc(0)))).toEqual([]);
    expect(await readPcapFile(tmpFile('partial.pcap', writePcap([]).subarray(0, 10)))).toEqual([]);
    expect(await readPcapFile(tmpFile('header-only.pcap', writePcap([])))).toEqual([]);
  });

  it('drops a partially written last packet (tcpdump killed mid-write)', async () => {
    const whole = writePcap([{ data: syn }, { data: syn }]);
    const packets = await readPcapFile(tmpFile('cut.pcap', whole.subarray(0, whole.length - 5)));
    expect(packets).toHaveLength(1);
    expect(packets[0].frame.tcp?.flags).toBe('S');
  });

  it('rejects a non-Ethernet link type, naming the file and the type', async () => {
    const file = writePcap([{ data: syn }]);
    file.writeUInt32LE(113, 20); // LINKTYPE_LINUX_SLL, what `tcpdump -i any` writes
    const path = tmpFile('cooked.pcap', file);
    await expect(readPcapFile(path)).rejects.toThrow(path);
    await expect(readPcapFile(path)).rejects.toThrow(/link-layer type 113 \(Linux cooked SLL/);
  });

  it('rejects pcapng and missing files, naming the file', async () => {
    // A pcapng Section Header Block (what `tcpdump --pcapng`/dumpcap write); pcap-parser reads only classic pcap.
    const shb = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');
    const ng = tmpFile('capture.pcapng', shb);
    await expect(readPcapFile(ng)).rejects.toThrow(new RegExp(`${ng}.*unknown magic number: 0a0d0d0a`));
    const missing = join(dir, 'nope.pcap');
    await expect(readPcapFile(missing)).rejects.toThrow(/ENOENT/);
    await expect(readPcapFile(missing)).rejects.toThrow(missing);
  });
});

const TCPDUMP = '/usr/bin/tcpdump';

describe('tcpdump reads our pcaps', () => {
  function tcpdump(args: string[]): string {
    return execFileSync(TCPDUMP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  it('decodes VXLAN on 4789, and on 8472 when told (-T vxlan), with valid checksums', () => {
    const path = tmpFile('for-tcpdump.pcap', writePcap([{ data: vxlanEcho(4789, 1) }, { data: vxlanEcho(8472, 1) }, { data: syn }]));

    const lines = tcpdump(['-nn', '-r', path]).trim().split('\n');
    // tcpdump prints the inner packet of an encapsulation on its own line.
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/IP 10\.10\.20\.4\.38211 > 10\.10\.20\.5\.4789: VXLAN, flags \[I\] \(0x08\), vni 1$/);
    expect(lines[1]).toMatch(/IP 10\.8\.0\.5 > 10\.8\.1\.10: ICMP echo request, id 3, seq 1, length 37$/);
    expect(lines[4]).toMatch(/IP 10\.8\.0\.5\.43512 > 10\.8\.1\.10\.80: Flags \[S\], seq 1000, win 65535, length 0$/);

    // 8472 is OTV to tcpdump by default; Linux VXLAN (flannel) uses it, so force the decoder.
    const forced = tcpdump(['-nn', '-T', 'vxlan', '-r', path, 'udp port 8472']);
    expect(forced).toMatch(/10\.10\.20\.4\.38211 > 10\.10\.20\.5\.8472: VXLAN.*vni 1\n.*IP 10\.8\.0\.5 > 10\.8\.1\.10: ICMP echo request, id 3, seq 1/);

    // -vv verifies IPv4 header and ICMP checksums; our builders must produce valid ones.
    const verbose = tcpdump(['-nn', '-vv', '-r', path, 'udp port 4789']);
    expect(verbose).toContain('proto ICMP (1), length 57');
    expect(verbose).not.toMatch(/bad cksum|wrong icmp cksum/);
  });
});

describe('readPcapFile on a tunnel device (tunl0: raw IP, no link layer)', () => {
  it('decodes raw IPv4 packets as frames 14 bytes longer, without MACs', async () => {
    const ip = buildIpv4({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 1, payload: buildIcmpEcho({ type: 8, id: 7, seq: 1, data: Buffer.alloc(56) }) });
    const [p] = await readPcapFile(tmpFile('tunl0.pcap', writePcap([{ data: ip }], 101)));
    expect(p.frame.ipv4).toMatchObject({ src: '10.8.0.5', dst: '10.8.1.10', protocol: 1 });
    expect(p.frame.icmp).toMatchObject({ type: 8, id: 7, seq: 1 });
    expect(p.frame.eth).toMatchObject({ src: '', dst: '', etherType: 0x0800 });
    expect(p.frame.frameLength).toBe(84 + 14);
  });

  it('still refuses Linux cooked captures (tcpdump -i any), naming the fix', async () => {
    await expect(readPcapFile(tmpFile('any.pcap', writePcap([], 113)))).rejects.toThrow(/Linux cooked SLL.*capture on a specific interface/);
  });
});
