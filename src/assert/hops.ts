// Hop assertions: which captured packets belong to a probe's flow, and whether those seen at
// a capture point have the fields the lab file asks for. Pure: packets in, verdicts out.
import type { CapturedPacket } from '../capture/pcap.js';
import { describeFrame, innermost, type DecodedFrame } from '../capture/decode.js';
import type { HopSpec, PacketMatchSpec } from '../spec/schema.js';
import type { Flow } from '../probe/probe.js';

export interface HopResult {
  at: string;
  passed: boolean;
  detail: string;
  /** Packets of the flow seen at this hop (in the expectation's time window). */
  seen: number;
  absent: boolean;
}

const PROTO: Record<Flow['protocol'], number> = { icmp: 1, tcp: 6, udp: 17 };
const ICMP_TYPES: Record<string, number> = { 'echo-request': 8, 'echo-reply': 0, unreachable: 3 };

/** Does this frame carry the flow (in the given direction), looking at its innermost header? */
export function belongsToFlow(frame: DecodedFrame, flow: Flow, direction: 'forward' | 'reply'): boolean {
  const f = innermost(frame);
  const ip = f.ipv4;
  if (!ip || ip.protocol !== PROTO[flow.protocol]) return false;
  const [src, dst] = direction === 'forward' ? [flow.src, flow.dst] : [flow.dst, flow.src];
  if (ip.src !== src || ip.dst !== dst) return false;
  if (flow.protocol === 'icmp') {
    // The reply direction of a ping is the echo reply; forward is the request.
    const want = direction === 'forward' ? 8 : 0;
    return f.icmp?.type === want || (f.icmp?.type === 3 && direction === 'reply');
  }
  if (flow.dstPort !== undefined) {
    const l4 = f.tcp ?? f.udp;
    const port = direction === 'forward' ? l4?.dstPort : l4?.srcPort;
    if (port !== flow.dstPort) return false;
  }
  return true;
}

/** Checks one header level (and, through `inner`, the levels below); returns what differs. */
export function mismatches(frame: DecodedFrame, m: PacketMatchSpec, resolve: (nameOrIp: string) => string, level = ''): string[] {
  const out: string[] = [];
  const ip = frame.ipv4;
  const p = level ? `${level}.` : '';
  const check = (field: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) out.push(`${p}${field} is ${actual ?? 'absent'}, expected ${expected}`);
  };
  if (m.src !== undefined) check('src', ip?.src, resolve(m.src));
  if (m.dst !== undefined) check('dst', ip?.dst, resolve(m.dst));
  if (m.length !== undefined) check('length', ip?.totalLength, m.length);
  if (m.ttl !== undefined) check('ttl', ip?.ttl, m.ttl);
  if (m.tcp) {
    if (!frame.tcp) out.push(`${p}protocol is not TCP`);
    else {
      if (m.tcp.srcPort !== undefined) check('tcp.srcPort', frame.tcp.srcPort, m.tcp.srcPort);
      if (m.tcp.dstPort !== undefined) check('tcp.dstPort', frame.tcp.dstPort, m.tcp.dstPort);
      if (m.tcp.flags !== undefined) check('tcp.flags', frame.tcp.flags, m.tcp.flags);
    }
  }
  if (m.udp) {
    if (!frame.udp) out.push(`${p}protocol is not UDP`);
    else {
      if (m.udp.srcPort !== undefined) check('udp.srcPort', frame.udp.srcPort, m.udp.srcPort);
      if (m.udp.dstPort !== undefined) check('udp.dstPort', frame.udp.dstPort, m.udp.dstPort);
    }
  }
  if (m.icmp) {
    if (!frame.icmp) out.push(`${p}protocol is not ICMP`);
    else check('icmp.type', frame.icmp.type, ICMP_TYPES[m.icmp.type]);
  }
  if (m.vxlan) {
    if (!frame.vxlan) out.push(`${p}not VXLAN-encapsulated`);
    else check('vxlan.vni', frame.vxlan.vni, m.vxlan.vni);
  }
  if (m.overhead !== undefined) {
    if (!frame.vxlan) out.push(`${p}not encapsulated, so it has no overhead`);
    else check('overhead', frame.frameLength - frame.vxlan.inner.frameLength, m.overhead);
  }
  if (m.inner) {
    if (!frame.vxlan) out.push(`${p}not encapsulated, so it has no inner packet`);
    else out.push(...mismatches(frame.vxlan.inner, m.inner, resolve, `${p}inner`));
  }
  return out;
}

export function evaluateHop(hop: HopSpec, packets: CapturedPacket[], flow: Flow, resolve: (nameOrIp: string) => string): HopResult {
  const ofFlow = packets.filter((p) => belongsToFlow(p.frame, flow, hop.direction));
  const base = { at: hop.at, seen: ofFlow.length, absent: hop.absent };
  const dir = hop.direction === 'reply' ? 'reply' : 'request';
  if (hop.absent) {
    if (ofFlow.length === 0) return { ...base, passed: true, detail: `no ${dir} packet of the flow, as expected (${packets.length} other packets)` };
    return { ...base, passed: false, detail: `expected no ${dir} packet here, saw ${ofFlow.length}: ${describeFrame(ofFlow[0].frame)}` };
  }
  if (ofFlow.length === 0) return { ...base, passed: false, detail: `no ${dir} packet of the flow ${flowText(flow, hop.direction)} seen (${packets.length} other packets)` };
  if (!hop.packet) return { ...base, passed: true, detail: `${ofFlow.length} packets, e.g. ${describeFrame(ofFlow[0].frame)}` };
  let firstMismatch: string[] | undefined;
  for (const p of ofFlow) {
    const diff = mismatches(p.frame, hop.packet, resolve);
    if (diff.length === 0) return { ...base, passed: true, detail: `${describeFrame(p.frame)} (${p.originalLength} bytes)` };
    firstMismatch ??= diff;
  }
  return { ...base, passed: false, detail: `${ofFlow.length} packets of the flow, none as expected: ${firstMismatch!.join('; ')} (e.g. ${describeFrame(ofFlow[0].frame)})` };
}

export function flowText(flow: Flow, direction: 'forward' | 'reply' = 'forward'): string {
  const [s, d] = direction === 'forward' ? [flow.src, flow.dst] : [flow.dst, flow.src];
  return `${s} > ${d} ${flow.protocol.toUpperCase()}${flow.dstPort ? (direction === 'forward' ? ` dport ${flow.dstPort}` : ` sport ${flow.dstPort}`) : ''}`;
}

/** The last hop, in the lab file's order, where packets of the flow were seen. */
export function lastSeen(results: HopResult[]): HopResult | undefined {
  return [...results].reverse().find((r) => !r.absent && r.seen > 0);
}
