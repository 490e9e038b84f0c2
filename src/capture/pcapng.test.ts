// capture.pcapng: written by writePcapng / mergeCaptures, read back by our own reader and by
// Wireshark's (tshark, installed by setup from scripts/tools.txt).
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFrame } from './decode.js';
import { decodeLinkFrame, LINKTYPE_ETHERNET, LINKTYPE_RAW, writePcap } from './pcap.js';
import { readPcapng, writePcapng } from './pcapng.js';
import { mergeCaptures, writeMergedCapture } from './merge.js';
import { innerEcho, vxlanEcho } from './testing/frames.js';
import { whichCommand } from '../kernel/host-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'wirelab-pcapng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Three capture points of one ping, as a flannel-vxlan run sees it: the pod's eth0, then the
// node's eth0 (VXLAN) and the switch, with microsecond timestamps that interleave the files.
const T0 = 1_700_000_000_000_000; // µs
const podFrame = innerEcho();
const tunnelFrame = vxlanEcho(8472, 1);
const points = () => {
  const pod = join(dir, 'pod-a_eth0.pcap');
  const node = join(dir, 'w1_eth0.pcap');
  const sw = join(dir, 'underlay_br0.pcap');
  writeFileSync(pod, writePcap([{ data: podFrame, timeMs: (T0 + 1) / 1000 }]));
  writeFileSync(node, writePcap([{ data: tunnelFrame, timeMs: (T0 + 37) / 1000 }]));
  writeFileSync(
    sw,
    writePcap([
      { data: tunnelFrame, timeMs: (T0 + 36) / 1000 },
      { data: tunnelFrame, timeMs: (T0 + 51) / 1000 },
    ]),
  );
  return [
    { at: 'pod-a/eth0', file: pod },
    { at: 'w1/eth0', file: node, description: 'eth0 in network namespace wl-flannel-vxlan.w1' },
    { at: 'underlay/br0', file: sw },
  ];
};

describe('writePcapng / readPcapng', () => {
  it('round-trips interfaces (name, link type, description), timestamps, lengths and bytes', () => {
    const raw = podFrame.subarray(14); // the IPv4 packet alone, as tcpdump writes it on tunl0
    const file = writePcapng({
      comment: 'wirelab lab flannel-vxlan',
      interfaces: [
        { name: 'w1/eth0', linkType: LINKTYPE_ETHERNET, description: 'eth0 in wl-flannel-vxlan.w1' },
        { name: 'w1/tunl0', linkType: LINKTYPE_RAW },
      ],
      packets: [
        { interfaceId: 0, timestampMicros: T0 + 123_457, data: tunnelFrame },
        { interfaceId: 1, timestampMicros: T0 + 999_999, data: raw.subarray(0, 30), originalLength: raw.length },
      ],
    });
    // Section Header Block first, little-endian.
    expect(file.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(file.readUInt32LE(8)).toBe(0x1a2b3c4d);
    expect(file.length % 4).toBe(0);
    const back = readPcapng(file);
    expect(back.comment).toBe('wirelab lab flannel-vxlan');
    expect(back.interfaces).toEqual([
      { name: 'w1/eth0', linkType: 1, description: 'eth0 in wl-flannel-vxlan.w1' },
      { name: 'w1/tunl0', linkType: 101 },
    ]);
    expect(back.packets.map((p) => [p.interfaceId, p.timestampMicros, p.data.length, p.originalLength])).toEqual([
      [0, T0 + 123_457, tunnelFrame.length, tunnelFrame.length],
      [1, T0 + 999_999, 30, raw.length],
    ]);
    expect(back.packets[0].data.equals(tunnelFrame)).toBe(true);
    const frames = back.packets.map((p) => describeFrame(decodeLinkFrame(back.interfaces[p.interfaceId].linkType, p.data, p.originalLength!)));
    expect(frames[0]).toBe('10.10.20.4.38211 > 10.10.20.5.8472 VXLAN vni 1 | 10.8.0.5 > 10.8.1.10 ICMP echo request id 3 seq 1');
    expect(frames[1]).toContain('10.8.0.5 > 10.8.1.10');
  });

  it('refuses a packet on an interface it does not declare, and a block with a broken length', () => {
    expect(() => writePcapng({ interfaces: [], packets: [{ interfaceId: 0, timestampMicros: 0, data: podFrame }] })).toThrow(/not declared/);
    const file = writePcapng({ interfaces: [{ name: 'a/eth0', linkType: 1 }], packets: [] });
    file.writeUInt32LE(13, file.length - 4);
    expect(() => readPcapng(file)).toThrow(/trailing length/);
  });
});

describe('mergeCaptures', () => {
  it('gives one interface per capture point, named like the hop, and orders packets by their exact timestamps', async () => {
    const back = readPcapng(await mergeCaptures(points(), 'wirelab lab flannel-vxlan'));
    expect(back.interfaces.map((i) => i.name)).toEqual(['pod-a/eth0', 'w1/eth0', 'underlay/br0']);
    expect(back.interfaces[1].description).toBe('eth0 in network namespace wl-flannel-vxlan.w1');
    expect(back.packets.map((p) => [back.interfaces[p.interfaceId].name, p.timestampMicros - T0])).toEqual([
      ['pod-a/eth0', 1],
      ['underlay/br0', 36],
      ['w1/eth0', 37],
      ['underlay/br0', 51],
    ]);
  });

  it.skipIf(!whichCommand('tshark'))('is read by tshark, which names each frame by its capture point', async () => {
    const file = join(dir, 'capture.pcapng');
    await writeMergedCapture(file, points());
    expect(readFileSync(file).readUInt32LE(0)).toBe(0x0a0d0d0a);
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.time_epoch', '-e', 'ip.dst'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(['pod-a/eth0', 'underlay/br0', 'w1/eth0', 'underlay/br0']);
    // Microseconds kept: 1700000000.000037000 on the node's eth0.
    expect(rows[2][1]).toMatch(/^1700000000\.000037/);
    expect(rows[0][2]).toBe('10.8.1.10');
    // Wireshark decodes UDP 8472 as VXLAN when told: the inner destination is the pod.
    const inner = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'vxlan.vni'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(inner).toContain('w1/eth0\t1');
  });
});

describe('an empty capture point', () => {
  it('still gets its interface, so every point is listed in Wireshark', async () => {
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, Buffer.alloc(0));
    const back = readPcapng(await mergeCaptures([{ at: 'w2/flannel.1', file: empty }]));
    expect(back.interfaces).toEqual([{ name: 'w2/flannel.1', linkType: 1 }]);
    expect(back.packets).toEqual([]);
  });
});
