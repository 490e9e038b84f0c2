// A port of upstream's test-only packet tracer (pkg/proxy/iptables/proxier_test.go
// iptablesTracer / tracePacket, and ParseRule from pkg/util/iptables/testing/parse.go at
// kubernetes/kubernetes commit 531be81208e2274ef42e72525a26610a9622bcdf): follows a packet
// through kube-proxy's chains, treating every "--probability" branch as taken, so the result
// lists every endpoint the packet could reach. Only for checking rules, not a netfilter model.
import { cidrContains } from '../service-ports.js';
import { parseIPTablesDump, ruleWords, type DumpTable } from './iptables-dump.js';

interface Value {
  negated: boolean;
  value: string;
}

/** ParseRule (non-strict): the parameters the tracer looks at. */
export interface ParsedRule {
  raw: string;
  params: Map<string, Value>;
}

const VALUE_PARAMS = new Set([
  '-A',
  '--comment',
  '-p',
  '-s',
  '--src-type',
  '--sport',
  '-d',
  '--dst-type',
  '--dport',
  '--match-set',
  '-j',
  '--probability',
  '--to-destination',
  '--mark',
  '--ctstate',
  '--name',
  '--seconds',
  '--mode',
]);
const BOOL_PARAMS = new Set(['--random-fully', '--rcheck', '--set', '--reap']);

export function parseRule(raw: string): ParsedRule {
  const words = ruleWords(raw);
  const params = new Map<string, Value>();
  let negated = false;
  for (let w = 0; w < words.length;) {
    if (words[w] === '-m' && w < words.length - 1) {
      w += 2;
      continue;
    }
    if (words[w] === '!') {
      negated = true;
      w++;
      continue;
    }
    if (VALUE_PARAMS.has(words[w]) && w + 1 < words.length) {
      params.set(words[w], { negated, value: words[w + 1] });
      w += 2;
    } else if (BOOL_PARAMS.has(words[w])) {
      params.set(words[w], { negated, value: String(!negated) });
      w++;
    } else {
      w++;
    }
    negated = false;
  }
  return { raw, params };
}

const matchesValue = (v: Value, cmp: string): boolean => (v.negated ? v.value !== cmp : v.value === cmp);

function addressMatches(v: Value, ip: string): boolean {
  const matches = v.value.includes('/') ? cidrContains(v.value, ip) : v.value === ip;
  return v.negated ? !matches : matches;
}

export interface Packet {
  sourceIP: string;
  /** lowercase, as in the rules */
  protocol: string;
  destIP: string;
  destPort: number;
}

export interface TraceResult {
  matches: string[];
  /** Comma-separated DNAT destinations, or ACCEPT / DROP / REJECT. */
  output: string;
  masq: boolean;
}

class Tracer {
  readonly matches: string[] = [];
  readonly outputs: string[] = [];
  masq = false;

  constructor(
    private readonly tables: Map<string, Map<string, ParsedRule[]>>,
    private readonly localIPs: Set<string>,
  ) {}

  private ruleMatches(rule: ParsedRule, p: Packet): boolean {
    const get = (k: string): Value | undefined => rule.params.get(k);
    const addrType = (ip: string): string => (this.localIPs.has(ip) ? 'LOCAL' : 'not-matched');
    const checks: [Value | undefined, (v: Value) => boolean][] = [
      [get('-s'), (v) => addressMatches(v, p.sourceIP)],
      [get('--src-type'), (v) => matchesValue(v, addrType(p.sourceIP))],
      [get('-p'), (v) => matchesValue(v, p.protocol)],
      [get('-d'), (v) => addressMatches(v, p.destIP)],
      [get('--dst-type'), (v) => matchesValue(v, addrType(p.destIP))],
      [get('--dport'), (v) => matchesValue(v, String(p.destPort))],
    ];
    if (checks.some(([v, ok]) => v !== undefined && !ok(v))) return false;
    // Any rule that checks past state/history does not match.
    return !get('--rcheck') && !get('--mark') && !get('--ctstate');
  }

  /** Returns true if a terminal action was hit. */
  runChain(table: string, chain: string, p: Packet): boolean {
    for (const rule of this.tables.get(table)?.get(chain) ?? []) {
      const jump = rule.params.get('-j');
      if (!jump || !this.ruleMatches(rule, p)) continue;
      this.matches.push(rule.raw);
      switch (jump.value) {
        case 'KUBE-MARK-MASQ':
          this.masq = true;
          continue;
        case 'ACCEPT':
        case 'REJECT':
        case 'DROP':
          this.outputs.push(jump.value);
          return true;
        case 'DNAT':
          this.outputs.push(rule.params.get('--to-destination')?.value ?? '');
          return true;
        default:
          if (this.runChain(table, jump.value, p) && !rule.params.has('--probability')) return true;
      }
    }
    return false;
  }
}

function indexTables(tables: DumpTable[]): Map<string, Map<string, ParsedRule[]>> {
  return new Map(tables.map((t) => [t.name, new Map(t.chains.map((c) => [c.name, c.rules.map(parseRule)]))]));
}

/**
 * tracePacket. Upstream starts at nat PREROUTING, whose only kube-proxy rule jumps to
 * KUBE-SERVICES; we start at KUBE-SERVICES since the restore text has no built-in chains.
 */
export function tracePacket(ruleData: string, packet: Packet, nodeIPs: string[]): TraceResult {
  const tracer = new Tracer(indexTables(parseIPTablesDump(ruleData)), new Set(['127.0.0.1', '::1', ...nodeIPs]));
  tracer.runChain('nat', 'KUBE-SERVICES', packet);
  const dnatIP = tracer.outputs.length > 0 ? tracer.outputs[0].split(':')[0] : packet.destIP;
  const filtered = { ...packet, destIP: dnatIP };
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) {
    tracer.runChain('filter', chain, filtered);
  }
  return { matches: tracer.matches, output: tracer.outputs.join(', '), masq: tracer.masq };
}
