// Hop assertions: which captured packets belong to a probe's flow, and whether those seen at
// a capture point have the fields the lab file asks for. Pure: packets in, verdicts out.
import type { CapturedPacket } from '../capture/pcap.js';
import dnsPacket, { type Packet as DnsPacket } from 'dns-packet';
import { describeFrame, innermost, type DecodedFrame } from '../capture/decode.js';
import type { HopSpec, PacketMatchSpec } from '../labfile/schema.js';
import type { Flow } from '../probe/probe.js';

export interface HopResult {
  at: string;
  passed: boolean;
  detail: string;
  /** Packets of the flow seen at this hop (in the expectation's time window). */
  seen: number;
  absent: boolean;
  /** A chain-traversal check rather than a capture point. */
  chain?: boolean;
  /** The packet the verdict rests on (the one that matched, or the first of the flow that
   * differed or should not have been there), when one was seen: for the report page. */
  evidence?: CapturedPacket;
  /** Every packet of the flow seen at this hop (the evidence is one of them). */
  flow?: CapturedPacket[];
  /** The capture points the hop names (any of them), its direction, and where its evidence was seen. */
  points?: string[];
  direction?: 'forward' | 'reply';
  seenAt?: string;
  /** A chain check: the chains expected and those the traced packet went through. */
  trace?: { node: string; table?: string; expected: string[]; actual: string[] };
}

const PROTO: Record<Flow['protocol'], number> = { icmp: 1, tcp: 6, udp: 17 };
const ICMP_TYPES: Record<string, number> = { 'echo-request': 8, 'echo-reply': 0, unreachable: 3 };

/** Turns a name (pod, node, service, outside host) into its IPv4 address; IPs pass through. */
export type Resolve = (nameOrIp: string) => string;

export interface AddressMatcher {
  test(ip: string | undefined): boolean;
  text: string;
}

/** An address reference from a lab file: one name or address, a list (any of), "!x" (not x). */
export function addressMatcher(ref: string | string[], resolve: Resolve): AddressMatcher {
  const items = Array.isArray(ref) ? ref : [ref];
  const parts = items.map((r) => {
    const negate = r.startsWith('!');
    const ip = resolve(negate ? r.slice(1) : r);
    return { negate, ip };
  });
  const positives = parts.filter((p) => !p.negate).map((p) => p.ip);
  const negatives = parts.filter((p) => p.negate).map((p) => p.ip);
  return {
    test: (ip) => ip !== undefined && (positives.length === 0 || positives.includes(ip)) && !negatives.includes(ip),
    text: [positives.length > 1 ? `one of ${positives.join(', ')}` : positives[0], ...negatives.map((n) => `not ${n}`)].filter(Boolean).join(' and '),
  };
}

/** The level of a packet spec that describes the innermost header: a level that asserts an
 * encapsulation (vxlan, overhead) describes the outer header, its `inner` the next one. */
export function innermostSpec(m: PacketMatchSpec | undefined): PacketMatchSpec | undefined {
  if (!m) return undefined;
  if (m.inner) return innermostSpec(m.inner);
  if (m.vxlan || m.ipip || m.overhead !== undefined) return undefined;
  return m;
}

export interface Selector {
  protocol: number;
  src: AddressMatcher;
  dst: AddressMatcher;
  srcPort?: number;
  dstPort?: number;
  icmpTypes?: number[];
}

/** Which packets a hop looks at: the probe's flow in the hop's direction, with any addresses
 * or ports the hop states for the innermost header (after NAT they differ from the probe's). */
export function hopSelector(flow: Flow, direction: 'forward' | 'reply', spec: PacketMatchSpec | undefined, resolve: Resolve): Selector {
  const inner = innermostSpec(spec);
  const [dSrc, dDst] = direction === 'forward' ? [flow.src, flow.dst] : [flow.dst, flow.src];
  if (inner?.icmp && flow.protocol !== 'icmp') {
    // An ICMP error about a TCP/UDP flow (e.g. kube-proxy's REJECT): it comes from whoever
    // rejected it, towards the flow's sender.
    const any: AddressMatcher = { test: (ip) => ip !== undefined, text: 'any' };
    return {
      protocol: PROTO.icmp,
      src: inner.src !== undefined ? addressMatcher(inner.src, resolve) : any,
      dst: inner.dst !== undefined ? addressMatcher(inner.dst, resolve) : addressMatcher(direction === 'reply' ? flow.src : flow.dst, resolve),
      icmpTypes: [ICMP_TYPES[inner.icmp.type]],
    };
  }
  const l4 = inner?.tcp ?? inner?.udp;
  // A hop that names an address of the innermost header looks at every packet of the probe's
  // protocol with that address: after NAT the other address and the port are not the probe's
  // any more, and an `absent` hop must not miss a packet because of them.
  const named = inner?.src !== undefined || inner?.dst !== undefined;
  const any: AddressMatcher = { test: (ip) => ip !== undefined, text: 'any' };
  const sel: Selector = {
    protocol: PROTO[flow.protocol],
    src: inner?.src !== undefined ? addressMatcher(inner.src, resolve) : named ? any : addressMatcher(dSrc, resolve),
    dst: inner?.dst !== undefined ? addressMatcher(inner.dst, resolve) : named ? any : addressMatcher(dDst, resolve),
  };
  if (l4 && (l4.srcPort !== undefined || l4.dstPort !== undefined)) {
    sel.srcPort = l4.srcPort;
    sel.dstPort = l4.dstPort;
  } else if (flow.dstPort !== undefined && !named) {
    if (direction === 'forward') sel.dstPort = flow.dstPort;
    else sel.srcPort = flow.dstPort;
  }
  if (flow.protocol === 'icmp') {
    sel.icmpTypes = inner?.icmp ? [ICMP_TYPES[inner.icmp.type]] : direction === 'forward' ? [8] : [0, 3];
  }
  return sel;
}

export function selects(frame: DecodedFrame, sel: Selector): boolean {
  const f = innermost(frame);
  const ip = f.ipv4;
  if (!ip || ip.protocol !== sel.protocol) return false;
  if (!sel.src.test(ip.src) || !sel.dst.test(ip.dst)) return false;
  const l4 = f.tcp ?? f.udp;
  if (sel.srcPort !== undefined && l4?.srcPort !== sel.srcPort) return false;
  if (sel.dstPort !== undefined && l4?.dstPort !== sel.dstPort) return false;
  if (sel.icmpTypes && (f.icmp === undefined || !sel.icmpTypes.includes(f.icmp.type))) return false;
  return true;
}

/** Does this frame carry the flow (in the given direction), looking at its innermost header? */
export function belongsToFlow(frame: DecodedFrame, flow: Flow, direction: 'forward' | 'reply'): boolean {
  return selects(
    frame,
    hopSelector(flow, direction, undefined, (x) => x),
  );
}

/** Checks one header level (and, through `inner`, the levels below); returns what differs. */
export function mismatches(frame: DecodedFrame, m: PacketMatchSpec, resolve: Resolve, level = ''): string[] {
  const out: string[] = [];
  const ip = frame.ipv4;
  const p = level ? `${level}.` : '';
  const check = (field: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) out.push(`${p}${field} is ${actual ?? 'absent'}, expected ${expected}`);
  };
  const checkAddr = (field: string, actual: string | undefined, ref: string | string[]) => {
    const mm = addressMatcher(ref, resolve);
    if (!mm.test(actual)) out.push(`${p}${field} is ${actual ?? 'absent'}, expected ${mm.text}`);
  };
  if (m.src !== undefined) checkAddr('src', ip?.src, m.src);
  if (m.dst !== undefined) checkAddr('dst', ip?.dst, m.dst);
  if (m.length !== undefined) check('length', ip?.totalLength, m.length);
  // A total length of 0 is a GSO packet beyond 64 KB (see capture/decode.ts): long enough.
  if (m.minLength !== undefined && ip?.totalLength !== 0 && (ip?.totalLength ?? 0) < m.minLength)
    out.push(`${p}length is ${ip?.totalLength ?? 'absent'}, expected at least ${m.minLength}`);
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
  if (m.dns) {
    const msg = dnsOf(frame);
    if (!msg) out.push(`${p}no DNS message`);
    else {
      const name = msg.questions?.[0]?.name;
      if (m.dns.name !== undefined && normName(name) !== normName(m.dns.name)) out.push(`${p}dns.name is ${name ?? 'absent'}, expected ${m.dns.name}`);
      if (m.dns.response !== undefined && (msg.type === 'response') !== m.dns.response)
        out.push(`${p}dns is a ${msg.type}, expected a ${m.dns.response ? 'response' : 'query'}`);
      const rcode = (msg as { rcode?: string }).rcode;
      if (m.dns.rcode !== undefined && rcode !== m.dns.rcode) out.push(`${p}dns.rcode is ${rcode ?? 'absent'}, expected ${m.dns.rcode}`);
    }
  }
  if (m.vxlan) {
    if (!frame.vxlan) out.push(`${p}not VXLAN-encapsulated`);
    else check('vxlan.vni', frame.vxlan.vni, m.vxlan.vni);
  }
  if (m.ipip !== undefined && !!frame.ipip !== m.ipip) out.push(`${p}${m.ipip ? 'not IP-in-IP encapsulated' : 'IP-in-IP encapsulated'}`);
  const encapsulated = frame.vxlan?.inner ?? frame.ipip?.inner;
  if (m.overhead !== undefined) {
    if (!encapsulated) out.push(`${p}not encapsulated, so it has no overhead`);
    else check('overhead', frame.frameLength - encapsulated.frameLength, m.overhead);
  }
  if (m.inner) {
    if (!encapsulated) out.push(`${p}not encapsulated, so it has no inner packet`);
    else out.push(...mismatches(encapsulated, m.inner, resolve, `${p}inner`));
  }
  return out;
}

/** An ARP hop: requests or replies for an address, optionally from a given MAC. */
export function evaluateArpHop(hop: HopSpec, packets: CapturedPacket[], resolve: Resolve, resolveMac: (name: string) => string | undefined): HopResult {
  const arp = hop.packet!.arp!;
  const at = Array.isArray(hop.at) ? hop.at.join(' | ') : hop.at;
  const ip = resolve(arp.ip);
  const op = arp.op === 'request' ? 1 : 2;
  const frames = packets.filter((p) => p.frame.arp?.op === op && (op === 1 ? p.frame.arp.targetIp : p.frame.arp.senderIp) === ip);
  const base = { at, seen: frames.length, absent: hop.absent, ...(frames[0] ? { evidence: frames[0] } : {}) };
  const what = `ARP ${arp.op} for ${ip}`;
  if (hop.absent)
    return frames.length === 0
      ? { ...base, passed: true, detail: `no ${what}, as expected` }
      : { ...base, passed: false, detail: `expected no ${what}, saw ${frames.length} from ${frames.map((f) => f.frame.arp!.senderMac).join(', ')}` };
  if (frames.length === 0) return { ...base, passed: false, detail: `no ${what} seen (${packets.length} other packets)` };
  if (arp.from) {
    const mac = resolveMac(arp.from);
    const senders = [...new Set(frames.map((f) => f.frame.arp!.senderMac))];
    if (senders.length !== 1 || senders[0] !== mac)
      return { ...base, passed: false, detail: `${what} came from ${senders.join(' and ')}, expected only ${arp.from} (${mac})` };
    return {
      ...base,
      passed: true,
      evidence: frames[0],
      detail: `${what}: ${ip} is-at ${mac} (${arp.from}), ${frames.length} frame${frames.length === 1 ? '' : 's'}, no other node answered`,
    };
  }
  return { ...base, passed: true, evidence: frames[0], detail: `${what} from ${frames[0].frame.arp!.senderMac}` };
}

const normName = (n: string | undefined) => n?.toLowerCase().replace(/\.$/, '');

/** The DNS message in a UDP frame's payload (decoded with dns-packet), or undefined. */
export function dnsOf(frame: DecodedFrame): DnsPacket | undefined {
  const f = innermost(frame);
  if (!f.udp || !f.payload || (f.udp.dstPort !== 53 && f.udp.srcPort !== 53)) return undefined;
  try {
    return dnsPacket.decode(f.payload);
  } catch {
    return undefined;
  }
}

/** The query names a hop saw, in order (repeats of the same name in a row merged). */
export function queryNames(packets: CapturedPacket[]): string[] {
  const names: string[] = [];
  for (const p of packets) {
    const msg = dnsOf(p.frame);
    const name = normName(msg?.questions?.[0]?.name);
    if (msg?.type === 'query' && name && names[names.length - 1] !== name) names.push(name);
  }
  return names;
}

export function evaluateQueriesHop(hop: HopSpec, packets: CapturedPacket[]): HopResult {
  const at = Array.isArray(hop.at) ? hop.at.join(' | ') : hop.at;
  const seen = queryNames(packets);
  const want = hop.queries!.map((q) => normName(q)!);
  const passed = seen.length === want.length && seen.every((n, i) => n === want[i]);
  const first = packets.find((p) => dnsOf(p.frame)?.type === 'query');
  return {
    at,
    seen: seen.length,
    absent: false,
    ...(first ? { evidence: first } : {}),
    passed,
    detail: passed ? `queries in order: ${seen.join(', ')}` : `expected the queries ${want.join(', ')}; saw ${seen.join(', ') || 'none'}`,
  };
}

export function evaluateHop(
  hop: HopSpec,
  packets: CapturedPacket[],
  flow: Flow,
  resolve: Resolve,
  resolveMac: (name: string) => string | undefined = () => undefined,
): HopResult {
  if (hop.packet?.arp) return evaluateArpHop(hop, packets, resolve, resolveMac);
  if (hop.queries) return evaluateQueriesHop(hop, packets);
  const sel = hopSelector(flow, hop.direction, hop.packet, resolve);
  const ofFlow = packets.filter((p) => selects(p.frame, sel));
  const at = Array.isArray(hop.at) ? hop.at.join(' | ') : hop.at;
  const base = { at, seen: ofFlow.length, absent: hop.absent, ...(ofFlow.length > 0 ? { flow: ofFlow } : {}) };
  const dir = hop.direction === 'reply' ? 'reply' : 'request';
  const what = `${sel.src.text} > ${sel.dst.text} ${flow.protocol.toUpperCase()}${sel.dstPort ? ` dport ${sel.dstPort}` : ''}${sel.srcPort ? ` sport ${sel.srcPort}` : ''}`;
  if (hop.absent) {
    // Absent means: no packet of the flow that also has every field the hop names (e.g. no
    // VXLAN-encapsulated copy of it, while the plain one may well be there).
    const like = hop.packet ? ofFlow.filter((p) => mismatches(p.frame, hop.packet!, resolve).length === 0) : ofFlow;
    const shape = hop.packet ? ` with ${JSON.stringify(hop.packet).replace(/"/g, '')}` : '';
    if (like.length === 0) return { ...base, seen: 0, passed: true, detail: `no ${dir} packet ${what}${shape}, as expected (${packets.length} other packets)` };
    return {
      ...base,
      seen: like.length,
      passed: false,
      evidence: like[0],
      detail: `expected no ${dir} packet${shape} here, saw ${like.length}: ${describeFrame(like[0].frame)}`,
    };
  }
  if (ofFlow.length === 0) {
    // Show what of the same protocol did pass here: often the packet, rewritten by a NAT.
    const similar = packets.find((p) => innermost(p.frame).ipv4?.protocol === sel.protocol);
    return {
      ...base,
      passed: false,
      detail: `no ${dir} packet ${what} seen (${packets.length} other packets${similar ? `, e.g. ${describeFrame(similar.frame)}` : ''})`,
    };
  }
  if (!hop.packet) return { ...base, passed: true, evidence: ofFlow[0], detail: `${ofFlow.length} packets, e.g. ${describeFrame(ofFlow[0].frame)}` };
  let firstMismatch: string[] | undefined;
  for (const p of ofFlow) {
    const diff = mismatches(p.frame, hop.packet, resolve);
    if (diff.length === 0) return { ...base, passed: true, evidence: p, detail: `${describeFrame(p.frame)} (${p.originalLength} bytes)` };
    firstMismatch ??= diff;
  }
  return {
    ...base,
    passed: false,
    evidence: ofFlow[0],
    detail: `${ofFlow.length} packets of the flow, none as expected: ${firstMismatch!.join('; ')} (e.g. ${describeFrame(ofFlow[0].frame)})`,
  };
}

export function flowText(flow: Flow, direction: 'forward' | 'reply' = 'forward'): string {
  const [s, d] = direction === 'forward' ? [flow.src, flow.dst] : [flow.dst, flow.src];
  return `${s} > ${d} ${flow.protocol.toUpperCase()}${flow.dstPort ? (direction === 'forward' ? ` dport ${flow.dstPort}` : ` sport ${flow.dstPort}`) : ''}`;
}

/** The last hop, in the lab file's order, where packets of the flow were seen. */
export function lastSeen(results: HopResult[]): HopResult | undefined {
  return [...results].reverse().find((r) => !r.absent && !r.chain && r.seen > 0);
}
