// Pure frame builders for tests and fixtures: they let decoder tests assert against bytes
// we chose, and let fixture pcaps be generated instead of committed as opaque binaries.
// Checksums are computed where a real receiver (or tcpdump -vv) would check them.
import { Buffer } from 'node:buffer';

function parseMac(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`invalid MAC address: ${JSON.stringify(mac)}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function parseIpv4(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new Error(`invalid IPv4 address: ${JSON.stringify(ip)}`);
  }
  return Buffer.from(parts.map(Number));
}

/** RFC 1071 ones'-complement checksum over buf (the checksum field must be zero in buf). */
export function internetChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2 === 1) sum += buf[buf.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function buildEthernet(o: { src: string; dst: string; etherType: number; payload: Buffer; vlan?: number }): Buffer {
  const tag = o.vlan === undefined ? Buffer.alloc(0) : Buffer.alloc(4);
  if (o.vlan !== undefined) {
    tag.writeUInt16BE(0x8100, 0);
    tag.writeUInt16BE(o.vlan & 0x0fff, 2);
  }
  const type = Buffer.alloc(2);
  type.writeUInt16BE(o.etherType, 0);
  // dst comes first on the wire.
  return Buffer.concat([parseMac(o.dst), parseMac(o.src), tag, type, o.payload]);
}

export function buildIpv4(o: {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes; must be a multiple of 8. */
  fragmentOffset?: number;
  payload: Buffer;
}): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45; // version 4, IHL 5 (no options)
  h.writeUInt16BE(20 + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? 0, 4);
  const frag = ((o.fragmentOffset ?? 0) / 8) & 0x1fff;
  h.writeUInt16BE((o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | frag, 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.protocol;
  parseIpv4(o.src).copy(h, 12);
  parseIpv4(o.dst).copy(h, 16);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, o.payload]);
}

function buildIcmp(type: number, code: number, rest: Buffer, data: Buffer): Buffer {
  const msg = Buffer.concat([Buffer.from([type, code, 0, 0]), rest, data]);
  msg.writeUInt16BE(internetChecksum(msg), 2);
  return msg;
}

export function buildIcmpEcho(o: { type: 8 | 0; id: number; seq: number; data?: Buffer }): Buffer {
  const rest = Buffer.alloc(4);
  rest.writeUInt16BE(o.id, 0);
  rest.writeUInt16BE(o.seq, 2);
  return buildIcmp(o.type, 0, rest, o.data ?? Buffer.alloc(0));
}

/** ICMP type 3 code 4 (RFC 1191): `original` is the offending IP header + first bytes. */
export function buildIcmpFragNeeded(o: { nextHopMtu: number; original: Buffer }): Buffer {
  const rest = Buffer.alloc(4);
  rest.writeUInt16BE(o.nextHopMtu, 2);
  return buildIcmp(3, 4, rest, o.original);
}

/** Checksum left 0 ("none" is legal for UDP over IPv4); the kernel and tcpdump accept it. */
export function buildUdp(o: { srcPort: number; dstPort: number; payload: Buffer }): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(o.srcPort, 0);
  h.writeUInt16BE(o.dstPort, 2);
  h.writeUInt16BE(8 + o.payload.length, 4);
  return Buffer.concat([h, o.payload]);
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, W: 0x80 };

/** flags in the decoder's letter style, e.g. "S", "SA", "PA". Checksum left 0 (needs the pseudo-header). */
export function buildTcp(o: { srcPort: number; dstPort: number; flags: string; seq?: number; ack?: number; payload?: Buffer }): Buffer {
  let bits = 0;
  for (const letter of o.flags) {
    const bit = TCP_FLAG_BITS[letter];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${JSON.stringify(letter)} in ${JSON.stringify(o.flags)}`);
    bits |= bit;
  }
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.srcPort, 0);
  h.writeUInt16BE(o.dstPort, 2);
  h.writeUInt32BE((o.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = 5 << 4; // data offset: 5 words, no options
  h[13] = bits;
  h.writeUInt16BE(65535, 14); // window
  return Buffer.concat([h, o.payload ?? Buffer.alloc(0)]);
}

/** The UDP payload of a VXLAN packet: 8-byte header (I flag set) + the inner Ethernet frame. */
export function buildVxlan(o: { vni: number; inner: Buffer }): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(o.vni & 0xffffff, 4, 3);
  return Buffer.concat([h, o.inner]);
}

/** Ethernet/IPv4 ARP body (op 1 request, 2 reply), for buildEthernet with etherType 0x0806. */
export function buildArp(o: { op: 1 | 2; senderMac: string; senderIp: string; targetMac: string; targetIp: string }): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(1, 0); // hardware: Ethernet
  h.writeUInt16BE(0x0800, 2); // protocol: IPv4
  h[4] = 6;
  h[5] = 4;
  h.writeUInt16BE(o.op, 6);
  return Buffer.concat([h, parseMac(o.senderMac), parseIpv4(o.senderIp), parseMac(o.targetMac), parseIpv4(o.targetIp)]);
}
