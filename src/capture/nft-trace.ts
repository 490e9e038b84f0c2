// `nft monitor trace` output, parsed: one TracePacket per traced packet with its events in order.
// iptables-nft keeps iptables rules in nft tables (`ip nat`, `ip filter`), so the kernel's trace
// events name the same chains as `iptables-save`. (kernel/trace.ts gathers the output;
// assert/chains.ts judges chain paths.)

export interface PacketSummary {
  iif?: string;
  oif?: string;
  saddr?: string;
  daddr?: string;
  /** tcp, udp, icmp, ... when nft decoded a transport header. */
  protocol?: string;
  sport?: number;
  dport?: number;
  /** e.g. "echo-request" for icmp. */
  icmpType?: string;
  /** The text after "packet: ". */
  raw: string;
}

export type TraceEventKind = 'packet' | 'rule' | 'policy' | 'return' | 'conntrack';

export interface TraceEvent {
  family: string;
  table: string;
  chain: string;
  kind: TraceEventKind;
  /** kind rule: the matching rule as nft prints it ("unknown rule handle N" if it was gone);
   * kind conntrack: the conntrack state nft printed. */
  rule?: string;
  /** rule: "(verdict X)"; policy: the policy; return: the verdict, e.g. "jump KUBE-SVC-X",
   * "accept", "continue", "return", "drop". */
  verdict?: string;
  /** kind packet. */
  packet?: PacketSummary;
  /** policy/return events may carry the packet mark, e.g. "0x00004000". */
  mark?: string;
  line: string;
}

export interface TracePacket {
  /** nft's trace id (8 hex digits). The kernel derives it from the skb, so a later packet may
   * reuse it; such a packet becomes a record of its own. */
  id: string;
  /** The packet as first seen (before any NAT). */
  packet?: PacketSummary;
  events: TraceEvent[];
}

const LINE = /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (.*)$/;

function firstMatch(re: RegExp, text: string): string | undefined {
  return re.exec(text)?.[1];
}

function unquote(s: string | undefined): string | undefined {
  return s === undefined ? undefined : s.replace(/^"(.*)"$/, '$1');
}

export function parsePacketSummary(raw: string): PacketSummary {
  const s: PacketSummary = { raw: raw.trim() };
  const iif = unquote(firstMatch(/(?:^|\s)iif ("[^"]*"|\S+)/, raw));
  const oif = unquote(firstMatch(/(?:^|\s)oif ("[^"]*"|\S+)/, raw));
  if (iif !== undefined) s.iif = iif;
  if (oif !== undefined) s.oif = oif;
  const saddr = firstMatch(/(?:^|\s)ip6? saddr (\S+)/, raw);
  const daddr = firstMatch(/(?:^|\s)ip6? daddr (\S+)/, raw);
  if (saddr !== undefined) s.saddr = saddr;
  if (daddr !== undefined) s.daddr = daddr;
  const l4 = /(?:^|\s)(tcp|udp|sctp|udplite|dccp) sport (\d+)/.exec(raw);
  if (l4) {
    s.protocol = l4[1];
    s.sport = Number(l4[2]);
    const d = new RegExp(`(?:^|\\s)${l4[1]} dport (\\d+)`).exec(raw);
    if (d) s.dport = Number(d[1]);
  } else {
    const icmp = /(?:^|\s)(icmp|icmpv6) type (\S+)/.exec(raw);
    if (icmp) {
      s.protocol = icmp[1];
      s.icmpType = icmp[2];
    } else {
      const proto = firstMatch(/(?:^|\s)ip protocol (\S+)/, raw);
      if (proto !== undefined) s.protocol = proto;
    }
  }
  return s;
}

function parseEvent(family: string, table: string, chain: string, rest: string, line: string): TraceEvent | undefined {
  const base = { family, table, chain, line };
  if (rest.startsWith('packet:')) return { ...base, kind: 'packet', packet: parsePacketSummary(rest.slice('packet:'.length)) };
  if (rest.startsWith('conntrack:')) return { ...base, kind: 'conntrack', rule: rest.slice('conntrack:'.length).trim() };
  const mark = firstMatch(/(?:^|\s)meta mark (\S+)\s*$/, rest);
  const body = rest.replace(/\s*meta mark \S+\s*$/, '').trim();
  const withMark = <T extends TraceEvent>(e: T): T => (mark !== undefined ? { ...e, mark } : e);
  if (body.startsWith('rule ') || body.startsWith('unknown rule handle')) {
    const m = /^(.*) \(verdict ([^()]*)\)$/.exec(rest.trim());
    const text = (m ? m[1] : rest).replace(/^rule\s+/, '').trim();
    return { ...base, kind: 'rule', rule: text, ...(m ? { verdict: m[2].trim() } : {}) };
  }
  // A verdict is one word, or "jump|goto CHAIN"; anything after it (a mark, or a warning nft
  // wrote to the same terminal) is not part of it.
  const verdictOf = (text: string) => /^((?:jump|goto) \S+|\S+)/.exec(text.trim())?.[1] ?? '';
  if (body.startsWith('policy ')) return withMark({ ...base, kind: 'policy', verdict: verdictOf(body.slice('policy '.length)) });
  if (body.startsWith('verdict ')) return withMark({ ...base, kind: 'return', verdict: verdictOf(body.slice('verdict '.length)) });
  return undefined;
}

/** Parses `nft monitor trace` output into one record per traced packet, events in order.
 * Lines that are not trace events (warnings, blank lines) are ignored. */
export function parseNftTrace(output: string): TracePacket[] {
  const packets: TracePacket[] = [];
  const open = new Map<string, { rec: TracePacket; hooks: Set<string> }>();
  for (const rawLine of output.split('\n')) {
    const line = rawLine.trimEnd();
    const m = LINE.exec(line);
    if (!m) continue;
    const [, id, family, table, chain, rest] = m;
    const ev = parseEvent(family, table, chain, rest, line);
    if (!ev) continue;
    let cur = open.get(id);
    // A packet passes each base chain once; a second "packet:" dump for the same base chain
    // under the same id is another packet that got the same id.
    const hookKey = `${family} ${table} ${chain}`;
    if (cur && ev.kind === 'packet' && cur.hooks.has(hookKey)) cur = undefined;
    if (!cur) {
      cur = { rec: { id, events: [] }, hooks: new Set() };
      open.set(id, cur);
      packets.push(cur.rec);
    }
    if (ev.kind === 'packet') {
      cur.hooks.add(hookKey);
      if (!cur.rec.packet) cur.rec.packet = ev.packet;
    }
    cur.rec.events.push(ev);
  }
  return packets;
}
