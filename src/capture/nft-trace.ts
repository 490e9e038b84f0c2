// nftables tracing, the pure half: the table that marks one flow for tracing, the parser for
// `nft monitor trace` output, and chain-path assertions ("KUBE-SERVICES -> KUBE-SVC-* ->
// KUBE-SEP-*"). iptables-nft keeps iptables rules in nft tables (`ip nat`, `ip filter`), so the
// kernel's trace events name the same chains as `iptables-save`.
import { isValidIpv4, parseCidr } from '../net/cidr.js';

/** Our own table; its chains only set `meta nftrace` and never change a verdict. */
export const TRACE_TABLE = 'wirelab_trace';

/** Before raw (-300), conntrack (-200), mangle (-150), dstnat (-100) and filter (0), so every
 * iptables table of the hook sees the packet already marked. */
export const TRACE_PRIORITY = -350;

export interface TraceMatch {
  /** IPv4 address or CIDR. */
  src?: string;
  /** IPv4 address or CIDR. */
  dst?: string;
  protocol?: 'tcp' | 'udp' | 'icmp';
  /** Destination port (tcp/udp only). */
  dport?: number;
}

function addressMatch(field: 'saddr' | 'daddr', value: string): string {
  if (value.includes('/')) parseCidr(value);
  else if (!isValidIpv4(value)) throw new Error(`trace match ${field === 'saddr' ? 'src' : 'dst'} "${value}" is not an IPv4 address or CIDR`);
  return `ip ${field} ${value}`;
}

/** The conditions of the marking rule, e.g. "ip daddr 10.96.0.10 meta l4proto udp udp dport 53". */
export function traceMatchExpr(match: TraceMatch): string {
  const parts: string[] = [];
  if (match.src !== undefined) parts.push(addressMatch('saddr', match.src));
  if (match.dst !== undefined) parts.push(addressMatch('daddr', match.dst));
  if (match.protocol !== undefined) {
    if (!['tcp', 'udp', 'icmp'].includes(match.protocol)) throw new Error(`trace match protocol "${String(match.protocol)}" is not tcp, udp or icmp`);
    parts.push(`meta l4proto ${match.protocol}`);
  }
  if (match.dport !== undefined) {
    if (match.protocol !== 'tcp' && match.protocol !== 'udp') throw new Error('trace match dport needs protocol tcp or udp');
    if (!Number.isInteger(match.dport) || match.dport < 1 || match.dport > 65535) throw new Error(`trace match dport ${match.dport} is not a port`);
    parts.push(`${match.protocol} dport ${match.dport}`);
  }
  return parts.join(' ');
}

/** `nft -f` input that (re)creates the trace table: a leftover of an earlier run is replaced in
 * the same transaction ("add; delete; define" is the idiom for an idempotent table). Packets of
 * the flow get `meta nftrace set 1` on prerouting (arriving, forwarded) and output (local). */
export function traceTableRules(match: TraceMatch = {}): string {
  const cond = traceMatchExpr(match);
  const rule = `${cond ? `${cond} ` : ''}meta nftrace set 1`;
  const chain = (name: string, hook: string) =>
    [`\tchain ${name} {`, `\t\ttype filter hook ${hook} priority ${TRACE_PRIORITY}; policy accept;`, `\t\t${rule}`, '\t}'];
  return [
    `table ip ${TRACE_TABLE}`,
    `delete table ip ${TRACE_TABLE}`,
    `table ip ${TRACE_TABLE} {`,
    ...chain('prerouting', 'prerouting'),
    ...chain('output', 'output'),
    '}',
    '',
  ].join('\n');
}

/** `nft -f` input that removes the trace table. */
export function traceTableDeleteRules(): string {
  return `delete table ip ${TRACE_TABLE}\n`;
}

/** What nft prints of a packet at the first event of each hook ("packet: ..."). */
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

/** The chains the packet entered, in order, consecutive repeats merged. A chain is entered when
 * it has an event or when a rule jumped (or went) to it: the kernel emits nothing for a chain in
 * which no rule matched (not even the implicit return), so an empty KUBE-SEP chain shows only as
 * the target of KUBE-SVC's jump. Without `table`, all tables except our own trace table. */
export function chainPath(packet: TracePacket, table?: string): string[] {
  const path: string[] = [];
  const push = (c: string) => {
    if (path[path.length - 1] !== c) path.push(c);
  };
  for (const ev of packet.events) {
    if (table !== undefined ? ev.table !== table : ev.table === TRACE_TABLE) continue;
    push(ev.chain);
    const target = ev.verdict ? /^(?:jump|goto) (\S+)$/.exec(ev.verdict)?.[1] : undefined;
    if (target) push(target);
  }
  return path;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function formatPath(path: string[]): string {
  return path.length > 0 ? path.join(' -> ') : '(no chain)';
}

/** True when the expected chain names (globs: `*`, `?`) occur in `actual` in this order, not
 * necessarily adjacent. The detail names the first expected chain that was not reached. */
export function matchChainPath(actual: string[], expected: string[]): { ok: boolean; detail: string } {
  let from = 0;
  const matched: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const re = globToRegExp(expected[i]);
    const at = actual.findIndex((c, j) => j >= from && re.test(c));
    if (at < 0) {
      const after = matched.length > 0 ? ` after ${matched[matched.length - 1]}` : '';
      const elsewhere = actual.some((c) => re.test(c)) ? ` (it appears only before ${matched[matched.length - 1]}, out of order)` : '';
      return {
        ok: false,
        detail: `expected chain ${expected[i]} (${i + 1} of ${expected.length})${after} was not traversed${elsewhere}; expected ${formatPath(expected)}, actual path: ${formatPath(actual)}`,
      };
    }
    matched.push(actual[at]);
    from = at + 1;
  }
  return { ok: true, detail: `traversed ${formatPath(matched)} (path: ${formatPath(actual)})` };
}
