// A tiny iptables interpreter for the NetworkPolicy rendering tests: it walks the rendered chains
// for every (from, to, port, protocol) on the source node and the destination node and compares
// the verdict with the reference semantics (selectors.ts `allowed`), cell by cell, like the truth
// tables of kubernetes/kubernetes test/e2e/network/netpol (truthtable.go, reachability.go:
// loopback pairs ignored, as there).
import { expect } from 'vitest';
import type { Endpoint, NetworkPolicy, Protocol } from '../../../k8s/network-policy-types.js';
import { containsIp, parseCidr } from '../../../net/cidr.js';
import { POLICY_CHAIN, policyJumpArgs, renderPolicyRules, type RenderPod } from '../render.js';
import { allowed } from '../selectors.js';
import { EXTERNALS, NAMESPACES, PODS, input, lines } from './policy-fixture.js';

interface Packet {
  src: string;
  dst: string;
  proto: Protocol;
  dport: number;
  mark: number;
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2]);
  return out;
}

type Action =
  { kind: 'RETURN' | 'DROP' | 'ACCEPT' } | { kind: 'NFLOG'; prefix: string } | { kind: 'MARK'; value: number; mask: number } | { kind: 'JUMP'; chain: string };
interface Rule {
  match: (p: Packet) => boolean;
  action: Action;
}

function compileRule(tokens: string[]): Rule {
  const conds: ((p: Packet) => boolean)[] = [];
  let action: Action | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const arg = () => tokens[++i];
    if (t === '-s' || t === '-d') {
      const c = parseCidr(arg().includes('/') ? tokens[i] : `${tokens[i]}/32`);
      conds.push(t === '-s' ? (p) => containsIp(c, p.src) : (p) => containsIp(c, p.dst));
    } else if (t === '-p') {
      const proto = arg().toUpperCase();
      conds.push((p) => p.proto === proto);
    } else if (t === '-m') {
      const mod = arg();
      if (!['tcp', 'udp', 'sctp', 'comment', 'conntrack', 'mark'].includes(mod)) throw new Error(`unknown match module ${mod}`);
    } else if (t === '--comment') arg();
    else if (t === '--dport') {
      const [a, b] = arg().split(':').map(Number);
      conds.push((p) => p.dport >= a && p.dport <= (b ?? a));
    } else if (t === '--ctstate') {
      const states = arg().split(',');
      conds.push(() => states.includes('NEW')); // every probe opens a new connection
    } else if (t === '--mark') {
      const [v, m] = arg()
        .split('/')
        .map((x) => Number(x));
      conds.push((p) => (p.mark & m) === v);
    } else if (t === '-j') {
      const target = arg();
      if (target === 'RETURN' || target === 'DROP' || target === 'ACCEPT') action = { kind: target };
      else if (target === 'NFLOG') {
        let prefix = '';
        while (i + 1 < tokens.length && tokens[i + 1].startsWith('--nflog-')) {
          const opt = tokens[++i];
          const val = tokens[++i];
          if (opt === '--nflog-prefix') prefix = val;
          else if (opt === '--nflog-group') expect(val).toBe('100');
          else throw new Error(`unknown NFLOG option ${opt}`);
        }
        action = { kind: 'NFLOG', prefix };
      } else if (target === 'MARK') {
        expect(tokens[++i]).toBe('--set-xmark');
        const [v, m] = tokens[++i].split('/').map((x) => Number(x));
        action = { kind: 'MARK', value: v, mask: m };
      } else action = { kind: 'JUMP', chain: target };
    } else throw new Error(`interpreter does not know ${t} in: ${tokens.join(' ')}`);
  }
  if (!action) throw new Error(`rule without target: ${tokens.join(' ')}`);
  return { match: (p) => conds.every((c) => c(p)), action };
}

export class Ruleset {
  chains = new Map<string, Rule[]>();
  forwardJumps: string[][] = [];
  constructor(text: string) {
    for (const line of lines(text)) {
      if (line === '*filter' || line === 'COMMIT') continue;
      if (line.startsWith(':')) {
        this.chains.set(line.slice(1).split(' ')[0], []);
        continue;
      }
      const tokens = tokenize(line);
      if (tokens[0] === '-I' && tokens[1] === 'FORWARD') {
        this.forwardJumps.push(tokens.slice(2));
        continue;
      }
      if (tokens[0] === '-X') continue;
      expect(tokens[0]).toBe('-A');
      const chain = this.chains.get(tokens[1]);
      if (!chain) throw new Error(`rule for undeclared chain ${tokens[1]}`);
      chain.push(compileRule(tokens.slice(2)));
    }
  }
  /** Walks a chain: 'ACCEPT', 'DROP', or undefined (fell off the end / RETURN). */
  run(chain: string, p: Packet, log: string[], depth = 0): 'ACCEPT' | 'DROP' | undefined {
    if (depth > 8) throw new Error('jump loop');
    const rules = this.chains.get(chain);
    if (!rules) throw new Error(`jump to undeclared chain ${chain}`);
    for (const r of rules) {
      if (!r.match(p)) continue;
      const a = r.action;
      if (a.kind === 'RETURN') return undefined;
      if (a.kind === 'DROP' || a.kind === 'ACCEPT') return a.kind;
      if (a.kind === 'NFLOG') log.push(a.prefix);
      else if (a.kind === 'MARK') p.mark = ((p.mark & ~a.mask) ^ a.value) >>> 0;
      else if (a.kind === 'JUMP') {
        const v = this.run(a.chain, p, log, depth + 1);
        if (v) return v;
      }
    }
    return undefined;
  }
}

/** FORWARD on each node the packet crosses: the source pod's node, then the destination
 * pod's (once when they are the same). External addresses have no node here. */
export function interpret(
  rulesets: Map<string, Ruleset>,
  from: Endpoint & { node?: string },
  to: Endpoint & { node?: string },
  dport: number,
  proto: Protocol,
  log: string[] = [],
): boolean {
  const nodes = [...new Set([from.node, to.node].filter((n): n is string => n !== undefined))];
  for (const node of nodes) {
    const rs = rulesets.get(node)!;
    if (rs.forwardJumps.length !== 1 || rs.forwardJumps[0].join(' ') !== ['1', ...policyJumpArgs()].join(' '))
      throw new Error(`no single FORWARD jump on ${node}`);
    const verdict = rs.run(POLICY_CHAIN, { src: from.ip, dst: to.ip, proto, dport, mark: 0 }, log);
    if (verdict === 'DROP') return false;
  }
  return true;
}

export type Ep = Endpoint & { node?: string; id: string };
const endpoints = (pods: RenderPod[]): Ep[] => [
  ...pods.map((p) => ({ id: `${p.namespace}/${p.name}`, ip: p.ip, pod: p, node: p.nodeName })),
  ...EXTERNALS.map((ip) => ({ id: ip, ip })),
];
const PORTS = [53, 80, 443, 5432, 8080, 9100, 9187, 9250];
const PROTOS: Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Every cell where the rendered rules and the reference disagree (empty = they agree). */
export function mismatches(policies: NetworkPolicy[], pods: RenderPod[] = PODS): string[] {
  const rulesets = new Map(['n1', 'n2'].map((n) => [n, new Ruleset(renderPolicyRules(input(n, policies, pods)))]));
  const eps = endpoints(pods);
  const bad: string[] = [];
  for (const a of eps)
    for (const b of eps) {
      if (a.id === b.id || (!a.pod && !b.pod)) continue; // loopback ignored as upstream; outside<->outside never crosses a node
      for (const port of PORTS)
        for (const proto of PROTOS) {
          const want = allowed(policies, NAMESPACES, a, b, port, proto);
          const got = interpret(rulesets, a, b, port, proto);
          if (want !== got) bad.push(`${a.id} -> ${b.id} ${port}/${proto}: reference ${want}, iptables ${got}`);
        }
    }
  return bad;
}
