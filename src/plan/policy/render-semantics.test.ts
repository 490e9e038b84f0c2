// The rendered NetworkPolicy rules behave as the reference says: a small iptables interpreter
// (testing/iptables-interpreter.ts) walks them for every (from, to, port, protocol) and must agree
// with selectors.ts `allowed`, on the 3-tier fixture and on seeded random policy sets.
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../k8s/network-policy-types.js';
import { renderPolicyRules } from './render.js';
import { interpret, mismatches, Ruleset, type Ep } from './testing/iptables-interpreter.js';
import { EXTERNALS, THREE_TIER, byId, input, pod, pol } from './testing/policy-fixture.js';
import { mulberry32, randomPolicies } from './testing/random-policies.js';

describe('rendered rules vs the reference semantics', () => {
  it('3-tier: every (from, to, port, protocol) cell agrees', () => {
    expect(mismatches(THREE_TIER)).toEqual([]);
  });

  it('3-tier: the intended paths are open and the rest closed, with a log line per drop', () => {
    const rulesets = new Map(['n1', 'n2'].map((n) => [n, new Ruleset(renderPolicyRules(input(n, THREE_TIER)))]));
    const ep = (id: string): Ep => (EXTERNALS.includes(id) ? { id, ip: id } : { id, ip: byId(id).ip, pod: byId(id), node: byId(id).nodeName });
    const can = (a: string, b: string, port: number, proto: Protocol = 'TCP', log: string[] = []) => interpret(rulesets, ep(a), ep(b), port, proto, log);
    expect(can('shop/client', 'shop/web', 80)).toBe(true); // same node: client egress + web ingress
    expect(can('shop/web', 'shop/api', 8080)).toBe(true); // n1 egress, n2 ingress
    expect(can('shop/api', 'shop/db', 5432)).toBe(true);
    expect(can('shop/web', 'kube-system/coredns', 53, 'UDP')).toBe(true);
    expect(can('shop/api', 'kube-system/coredns', 53, 'UDP')).toBe(true);
    expect(can('monitoring/prom', 'shop/db', 9187)).toBe(true); // named port "metrics" on db
    expect(can('monitoring/prom', 'shop/api', 9150)).toBe(true); // 9100-9200
    expect(can('shop/api', '10.10.1.1', 443)).toBe(true);
    expect(can('192.0.2.1', 'shop/web', 80)).toBe(true);
    const log: string[] = [];
    expect(can('shop/client', 'shop/api', 8080, 'TCP', log)).toBe(false);
    expect(log).toEqual(['WL-DENY E shop/client']);
    const log2: string[] = [];
    expect(can('shop/web', 'shop/db', 5432, 'TCP', log2)).toBe(false);
    expect(log2).toEqual(['WL-DENY E shop/web']);
    const log3: string[] = [];
    expect(can('monitoring/prom', 'shop/db', 5432, 'TCP', log3)).toBe(false); // prom has no egress policy: db's ingress drops it on n2
    expect(log3).toEqual(['WL-DENY I shop/db']);
    expect(can('shop/db', 'kube-system/coredns', 53, 'UDP')).toBe(false); // db egress: none
    expect(can('shop/api', '10.10.5.7', 443)).toBe(false); // except really excludes
    expect(can('shop/api', '10.10.1.1', 80)).toBe(false);
    expect(can('shop/web', 'kube-system/coredns', 53, 'TCP')).toBe(false); // web egress allows UDP only
    expect(can('shop/client', 'kube-system/coredns', 53, 'TCP')).toBe(false);
    expect(can('10.10.1.1', 'shop/api', 8080)).toBe(false);
  });

  it('the except mark does not leak from a source check into a destination check on the same node', () => {
    const pods = [pod('x', 'a', 'n1', '10.8.0.1', { pod: 'a' }), pod('x', 'b', 'n1', '10.8.0.2', { pod: 'b' })];
    const policies = [
      pol('x', 'a-egress', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.9.0/24'] } }] }],
      }),
      pol('x', 'b-ingress', {
        podSelector: { matchLabels: { pod: 'b' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.0.1/32'] } }] }],
      }),
    ];
    expect(mismatches(policies, pods)).toEqual([]);
    const rs = new Map([['n1', new Ruleset(renderPolicyRules({ node: 'n1', pods, namespaces: [], policies }))]]);
    expect(interpret(rs, { ip: '10.8.0.1', pod: pods[0], node: 'n1' }, { ip: '10.8.0.2', pod: pods[1], node: 'n1' }, 80, 'TCP')).toBe(false);
  });

  it('random policy sets (seeded): every cell agrees', () => {
    const rand = mulberry32(0x5eed001);
    let checked = 0;
    for (let round = 0; round < 120; round++) {
      const policies = randomPolicies(rand);
      const bad = mismatches(policies);
      if (bad.length > 0) throw new Error(`round ${round}: ${bad.slice(0, 5).join('; ')}\n${JSON.stringify(policies)}`);
      checked++;
    }
    expect(checked).toBe(120);
  });
});
