// The nft table that marks one flow for tracing (pure: `nft -f` input; trace.ts installs it and
// runs `nft monitor trace`). Its chains only set `meta nftrace` and never change a verdict.
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
  const chain = (name: string, hook: string) => [
    `\tchain ${name} {`,
    `\t\ttype filter hook ${hook} priority ${TRACE_PRIORITY}; policy accept;`,
    `\t\t${rule}`,
    '\t}',
  ];
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
