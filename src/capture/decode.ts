// Pure decoders for the frames our labs capture: Ethernet (+802.1Q), ARP, IPv4, ICMP, TCP,
// UDP and VXLAN (decoded recursively, because overlay labs must show the inner packet).
// No I/O here. Captures are untrusted bytes (short snaplen, tcpdump killed mid-write, garbage),
// so nothing in this file throws: a decoder stops where the bytes stop and sets `truncated`.
import { Buffer } from 'node:buffer';

export interface EthernetInfo {
  src: string;
  dst: string;
  /** The EtherType of the payload; for a VLAN-tagged frame, the type after the tag(s). */
  etherType: number;
  /** VLAN ID (12 bits) of the outermost 802.1Q/802.1ad tag, when tagged. */
  vlan?: number;
}
export interface Ipv4Info {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes (the header field times 8), as tcpdump prints it. */
  fragmentOffset: number;
  headerLength: number;
}
export interface IcmpInfo {
  type: number;
  code: number;
  id?: number;
  seq?: number;
  /** for type 3 code 4 (fragmentation needed), RFC 1191 */
  nextHopMtu?: number;
}
export interface TcpInfo {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** tcpdump letters in tcpdump's order (F S R P U E W), then "A" for ACK: "S", "SA", "PA", "FA", "R". */
  flags: string;
  /** Data bytes the segment carries per the IP header (may exceed the captured bytes). */
  payloadLength: number;
}
export interface UdpInfo {
  srcPort: number;
  dstPort: number;
  /** The UDP length field: header + payload. */
  length: number;
}
export interface VxlanInfo {
  vni: number;
  flags: number;
  inner: DecodedFrame;
}
export interface ArpInfo {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}
export interface DecodedFrame {
  /** Bytes of this Ethernet frame (for an inner VXLAN frame: its length inside the UDP payload). */
  frameLength: number;
  eth: EthernetInfo;
  arp?: ArpInfo;
  ipv4?: Ipv4Info;
  icmp?: IcmpInfo;
  tcp?: TcpInfo;
  udp?: UdpInfo;
  vxlan?: VxlanInfo;
  /** IP-in-IP (protocol 4, Calico's tunl0): the encapsulated IPv4 packet, as a frame whose
   * length counts a 14-byte Ethernet header (the frame it was on a pod's eth0). */
  ipip?: { inner: DecodedFrame };
  /** The L4 payload (TCP/UDP data, ICMP data after the 8-byte header); absent for VXLAN (see vxlan.inner). */
  payload?: Buffer;
  /** The capture was shorter than the headers need (here or in a VXLAN inner frame). */
  truncated?: boolean;
}
export interface DecodeOptions {
  /** UDP destination ports decoded as VXLAN. Default [8472, 4789]: Linux/flannel's and the IANA port. */
  vxlanPorts?: readonly number[];
}

export const DEFAULT_VXLAN_PORTS: readonly number[] = [8472, 4789];

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const VXLAN_HEADER = 8;
const VXLAN_FLAG_I = 0x08;
// VXLAN-in-VXLAN is legal but each level costs 50 bytes; a bound keeps garbage from recursing deep.
const MAX_VXLAN_DEPTH = 8;

export function formatMac(buf: Buffer, offset: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(buf[offset + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function formatIpv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

export function decodeEthernet(buf: Buffer, opts?: DecodeOptions, originalLength?: number): DecodedFrame {
  return decodeFrame(buf, opts?.vxlanPorts ?? DEFAULT_VXLAN_PORTS, originalLength ?? buf.length, 0);
}

/** A packet captured without a link layer (pcap LINKTYPE_RAW, e.g. on tunl0): its IPv4 header
 * first. Decoded as the frame it would be on an Ethernet device (14 bytes more, no MACs), so
 * frame lengths compare hop to hop like those of IP-in-IP's inner packets. */
export function decodeRawIpv4(buf: Buffer, opts?: DecodeOptions, originalLength?: number): DecodedFrame {
  const eth = Buffer.alloc(ETH_HEADER);
  eth.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const frame = decodeFrame(Buffer.concat([eth, buf]), opts?.vxlanPorts ?? DEFAULT_VXLAN_PORTS, (originalLength ?? buf.length) + ETH_HEADER, 0);
  frame.eth.src = '';
  frame.eth.dst = '';
  return frame;
}

function decodeFrame(buf: Buffer, vxlanPorts: readonly number[], frameLength: number, depth: number): DecodedFrame {
  const frame: DecodedFrame = {
    frameLength,
    eth: {
      // Partial MACs are useless, so a short frame gets '' rather than half an address.
      dst: buf.length >= 6 ? formatMac(buf, 0) : '',
      src: buf.length >= 12 ? formatMac(buf, 6) : '',
      etherType: buf.length >= ETH_HEADER ? buf.readUInt16BE(12) : 0,
    },
  };
  if (buf.length < ETH_HEADER) {
    frame.truncated = true;
    return frame;
  }

  // 802.1Q (and a QinQ outer tag): 4 bytes of TPID+TCI before the real EtherType.
  let offset = ETH_HEADER;
  while (frame.eth.etherType === ETHERTYPE_VLAN || frame.eth.etherType === ETHERTYPE_QINQ) {
    if (buf.length < offset + 4) {
      frame.truncated = true;
      return frame;
    }
    if (frame.eth.vlan === undefined) frame.eth.vlan = buf.readUInt16BE(offset) & 0x0fff; // TCI: PCP(3) DEI(1) VID(12)
    frame.eth.etherType = buf.readUInt16BE(offset + 2);
    offset += 4;
  }

  if (frame.eth.etherType === ETHERTYPE_ARP) decodeArp(buf, offset, frame);
  else if (frame.eth.etherType === ETHERTYPE_IPV4) decodeIpv4(buf, offset, frame, vxlanPorts, depth);
  return frame;
}

function decodeArp(buf: Buffer, offset: number, frame: DecodedFrame): void {
  if (buf.length < offset + 28) {
    frame.truncated = true;
    return;
  }
  // Only Ethernet/IPv4 ARP (hlen 6, plen 4) has this layout; anything else is left undecoded.
  if (buf[offset + 4] !== 6 || buf[offset + 5] !== 4) return;
  frame.arp = {
    op: buf.readUInt16BE(offset + 6),
    senderMac: formatMac(buf, offset + 8),
    senderIp: formatIpv4(buf, offset + 14),
    targetMac: formatMac(buf, offset + 18),
    targetIp: formatIpv4(buf, offset + 24),
  };
}

function decodeIpv4(buf: Buffer, offset: number, frame: DecodedFrame, vxlanPorts: readonly number[], depth: number): void {
  if (buf.length < offset + 20) {
    frame.truncated = true;
    return;
  }
  const versionIhl = buf[offset];
  const headerLength = (versionIhl & 0x0f) * 4;
  // Not IPv4 or an impossible header length: garbage, not a short capture.
  if (versionIhl >> 4 !== 4 || headerLength < 20) return;
  const flagsFrag = buf.readUInt16BE(offset + 6);
  const ip: Ipv4Info = {
    src: formatIpv4(buf, offset + 12),
    dst: formatIpv4(buf, offset + 16),
    protocol: buf[offset + 9],
    ttl: buf[offset + 8],
    totalLength: buf.readUInt16BE(offset + 2),
    id: buf.readUInt16BE(offset + 4),
    dontFragment: (flagsFrag & 0x4000) !== 0,
    moreFragments: (flagsFrag & 0x2000) !== 0,
    fragmentOffset: (flagsFrag & 0x1fff) * 8,
    headerLength,
  };
  frame.ipv4 = ip;
  if (buf.length < offset + headerLength) {
    frame.truncated = true;
    return;
  }
  // Non-first fragments carry no L4 header; decoding their bytes as one would invent ports.
  if (ip.fragmentOffset !== 0) return;

  const l4Start = offset + headerLength;
  // Bound L4 by the IP total length so Ethernet padding (frames < 60 bytes) is not read as data.
  // A total length of 0 (seen with TSO on some captures) means "unknown": use what was captured.
  const ipEnd = ip.totalLength >= headerLength ? offset + ip.totalLength : Infinity;
  const l4End = Math.min(buf.length, ipEnd);
  // The length the IP header promises, even when the capture holds less.
  const l4Declared = ip.totalLength >= headerLength ? ip.totalLength - headerLength : buf.length - l4Start;

  if (ip.protocol === PROTO_ICMP) decodeIcmp(buf, l4Start, l4End, frame);
  else if (ip.protocol === PROTO_TCP) decodeTcp(buf, l4Start, l4End, l4Declared, frame);
  else if (ip.protocol === PROTO_UDP) decodeUdp(buf, l4Start, l4End, frame, vxlanPorts, depth);
  else if (ip.protocol === PROTO_IPIP && depth < 4) {
    const innerLength = l4End - l4Start >= 4 ? buf.readUInt16BE(l4Start + 2) : l4End - l4Start;
    const inner: DecodedFrame = { frameLength: innerLength + 14, eth: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00', etherType: ETHERTYPE_IPV4 } };
    decodeIpv4(buf.subarray(0, l4End), l4Start, inner, vxlanPorts, depth + 1);
    frame.ipip = { inner };
    if (inner.truncated) frame.truncated = true;
  }
}

const PROTO_IPIP = 4;

function decodeIcmp(buf: Buffer, start: number, end: number, frame: DecodedFrame): void {
  if (end - start < 2) {
    frame.truncated = true;
    return;
  }
  const icmp: IcmpInfo = { type: buf[start], code: buf[start + 1] };
  frame.icmp = icmp;
  if (end - start < 8) {
    frame.truncated = true;
    return;
  }
  if (icmp.type === 0 || icmp.type === 8) {
    icmp.id = buf.readUInt16BE(start + 4);
    icmp.seq = buf.readUInt16BE(start + 6);
  } else if (icmp.type === 3 && icmp.code === 4) {
    icmp.nextHopMtu = buf.readUInt16BE(start + 6);
  }
  frame.payload = buf.subarray(start + 8, end);
}

// tcpdump's print order (tcp_flag_values), with ACK last as a letter instead of '.'.
const TCP_FLAG_LETTERS: readonly [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
  [0x10, 'A'],
];

export function tcpFlagsToString(bits: number): string {
  return TCP_FLAG_LETTERS.filter(([bit]) => (bits & bit) !== 0)
    .map(([, letter]) => letter)
    .join('');
}

function decodeTcp(buf: Buffer, start: number, end: number, declared: number, frame: DecodedFrame): void {
  if (end - start < 20) {
    frame.truncated = true;
    return;
  }
  const dataOffset = (buf[start + 12] >> 4) * 4;
  frame.tcp = {
    srcPort: buf.readUInt16BE(start),
    dstPort: buf.readUInt16BE(start + 2),
    seq: buf.readUInt32BE(start + 4),
    ack: buf.readUInt32BE(start + 8),
    flags: tcpFlagsToString(buf[start + 13]),
    payloadLength: Math.max(0, declared - dataOffset),
  };
  if (dataOffset < 20) return; // garbage data offset: keep the header fields, no payload
  if (end - start < dataOffset) {
    frame.truncated = true;
    return;
  }
  frame.payload = buf.subarray(start + dataOffset, end);
}

function decodeUdp(buf: Buffer, start: number, end: number, frame: DecodedFrame, vxlanPorts: readonly number[], depth: number): void {
  if (end - start < 8) {
    frame.truncated = true;
    return;
  }
  const udp: UdpInfo = {
    srcPort: buf.readUInt16BE(start),
    dstPort: buf.readUInt16BE(start + 2),
    length: buf.readUInt16BE(start + 4),
  };
  frame.udp = udp;
  const udpEnd = udp.length >= 8 ? Math.min(end, start + udp.length) : end;
  const payload = buf.subarray(start + 8, udpEnd);
  const payloadDeclared = udp.length >= 8 ? udp.length - 8 : payload.length;

  // Like the kernel's vxlan_rcv, only a header with the I (valid VNI) flag is VXLAN.
  if (vxlanPorts.includes(udp.dstPort) && depth < MAX_VXLAN_DEPTH && payload.length >= VXLAN_HEADER && (payload[0] & VXLAN_FLAG_I) !== 0) {
    const inner = decodeFrame(payload.subarray(VXLAN_HEADER), vxlanPorts, Math.max(0, payloadDeclared - VXLAN_HEADER), depth + 1);
    frame.vxlan = { vni: payload.readUIntBE(4, 3), flags: payload[0], inner };
    if (inner.truncated) frame.truncated = true;
    return;
  }
  // A VXLAN port whose 8-byte header was cut off by the snaplen: the headers did not fit.
  if (vxlanPorts.includes(udp.dstPort) && payload.length < VXLAN_HEADER && payloadDeclared >= VXLAN_HEADER) {
    frame.truncated = true;
  }
  frame.payload = payload;
}

/** Follows vxlan.inner down to the last (innermost) frame. */
export function innermost(frame: DecodedFrame): DecodedFrame {
  let f = frame;
  while (f.vxlan || f.ipip) f = f.vxlan ? f.vxlan.inner : f.ipip!.inner;
  return f;
}

const ICMP_UNREACH: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'frag needed',
  13: 'admin prohibited',
};

function describeIcmp(icmp: IcmpInfo): string {
  if (icmp.type === 8 || icmp.type === 0) {
    const what = icmp.type === 8 ? 'echo request' : 'echo reply';
    return icmp.id === undefined ? `ICMP ${what}` : `ICMP ${what} id ${icmp.id} seq ${icmp.seq}`;
  }
  if (icmp.type === 3) {
    const what = ICMP_UNREACH[icmp.code] ?? `unreachable code ${icmp.code}`;
    return icmp.nextHopMtu === undefined ? `ICMP ${what}` : `ICMP ${what} mtu ${icmp.nextHopMtu}`;
  }
  if (icmp.type === 11) return `ICMP time exceeded code ${icmp.code}`;
  return `ICMP type ${icmp.type} code ${icmp.code}`;
}

/** One line, tcpdump-like, e.g. "10.8.0.5 > 10.8.1.10 TCP 43512 > 80 [S] len 0". */
export function describeFrame(frame: DecodedFrame): string {
  const parts: string[] = [];
  if (frame.eth.vlan !== undefined) parts.push(`vlan ${frame.eth.vlan}`);
  const ip = frame.ipv4;

  if (frame.arp) {
    const a = frame.arp;
    if (a.op === 1) parts.push(`ARP who-has ${a.targetIp} tell ${a.senderIp}`);
    else if (a.op === 2) parts.push(`ARP reply ${a.senderIp} is-at ${a.senderMac}`);
    else parts.push(`ARP op ${a.op} ${a.senderIp} > ${a.targetIp}`);
  } else if (ip && frame.vxlan && frame.udp) {
    parts.push(`${ip.src}.${frame.udp.srcPort} > ${ip.dst}.${frame.udp.dstPort} VXLAN vni ${frame.vxlan.vni} | ${describeFrame(frame.vxlan.inner)}`);
    // The inner description already reports its own truncation.
    return parts.join(' ');
  } else if (ip && frame.ipip) {
    parts.push(`${ip.src} > ${ip.dst} IPIP | ${describeFrame(frame.ipip.inner)}`);
    return parts.join(' ');
  } else if (ip) {
    let line = `${ip.src} > ${ip.dst}`;
    if (ip.fragmentOffset !== 0) {
      line += ` frag id ${ip.id} offset ${ip.fragmentOffset} len ${Math.max(0, ip.totalLength - ip.headerLength)}`;
    } else if (frame.tcp) {
      const t = frame.tcp;
      line += ` TCP ${t.srcPort} > ${t.dstPort} [${t.flags}] len ${t.payloadLength}`;
    } else if (frame.udp) {
      const u = frame.udp;
      line += ` UDP ${u.srcPort} > ${u.dstPort} len ${Math.max(0, u.length - 8)}`;
    } else if (frame.icmp) {
      line += ` ${describeIcmp(frame.icmp)}`;
    } else {
      const names: Record<number, string> = { [PROTO_ICMP]: 'ICMP', [PROTO_TCP]: 'TCP', [PROTO_UDP]: 'UDP' };
      line += ` ${names[ip.protocol] ?? `proto ${ip.protocol}`}`;
    }
    // DF is not printed: Linux sets it on nearly everything, so it would only be noise here.
    if (ip.moreFragments) line += ' [+]';
    parts.push(line);
  } else {
    parts.push(`${frame.eth.src || '?'} > ${frame.eth.dst || '?'} ethertype 0x${frame.eth.etherType.toString(16).padStart(4, '0')} len ${frame.frameLength}`);
  }
  if (frame.truncated) parts.push('[truncated]');
  return parts.join(' ');
}
