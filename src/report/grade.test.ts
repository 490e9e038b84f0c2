// The grade in a learner's words, from the judges' evidence: where the traffic was last seen,
// the next point it never reached, what a chain trace and the policy engine's counters say.
import { describe, expect, it } from 'vitest';
import type { ExpectationResult } from '../assert/expectation.js';
import { dropInWords, gradeResults, place } from './grade.js';

const hop = (at: string, seen: number, passed = seen > 0) => ({ at, seen, passed, absent: false, detail: passed ? 'ok' : 'not seen' });

describe('grade', () => {
  it('says where a failing check was last seen and which point it never reached', () => {
    const r: ExpectationResult = {
      name: 'pod-a -> pod-d',
      passed: false,
      message: 'expected a reply, got none (100% packet loss); hop w1/eth0: not seen; packet last seen at w1/flannel.1',
      hops: [hop('pod-a/eth0', 2), hop('w1/flannel.1', 2), hop('w1/eth0', 0), hop('pod-d/eth0', 0)],
      durationMs: 1,
    };
    const g = gradeResults([r]);
    expect(g.passed).toBe(false);
    expect(g.lines).toEqual([
      'FAIL  pod-a -> pod-d',
      '      what happened: expected a reply, got none (100% packet loss)',
      '      your traffic was last seen at flannel.1 of w1, and never reached eth0 of w1: something between the two stopped it',
      '',
      '0 of 1 checks pass: not solved yet (`lab hint` for a nudge).',
    ]);
  });

  it('says so when the traffic never left the sender, and names the chains a trace went through', () => {
    const r: ExpectationResult = {
      name: 'svc',
      passed: false,
      message: 'expected a reply, got none',
      hops: [
        hop('test-dns/eth0', 0),
        {
          at: 'chains',
          chain: true,
          passed: false,
          seen: 1,
          absent: false,
          detail: '',
          trace: { node: 'cp', table: 'nat', expected: ['A'], actual: ['PREROUTING', 'KUBE-SERVICES'] },
        },
      ],
      durationMs: 1,
    };
    expect(gradeResults([r]).lines.slice(1, 4)).toEqual([
      '      what happened: expected a reply, got none',
      '      your traffic was not seen at any capture point: it never left the sender, look there first',
      '      on node cp, table nat, it went through PREROUTING -> KUBE-SERVICES',
    ]);
  });

  it("puts the policy engine's drop counters in words", () => {
    expect(dropInWords('WL-DENY E default/api on w2: 2 packets')).toBe(
      'node w2, table filter, chain FORWARD -> WL-POLICY: the egress policy of pod default/api dropped 2 packets (log prefix "WL-DENY E default/api")',
    );
    expect(dropInWords('something else')).toBe('something else');
  });

  it('names several capture points of one hop', () => {
    expect(place('a/eth0 | b/eth0')).toBe('eth0 of a or b');
    expect(place('w1/eth0')).toBe('eth0 of w1');
  });

  it('passes only when every check passes', () => {
    const ok: ExpectationResult = { name: 'x', passed: true, message: 'ok', hops: [], durationMs: 1 };
    expect(gradeResults([ok]).passed).toBe(true);
    expect(gradeResults([ok]).lines.at(-1)).toBe('All 1 checks pass: the exercise is solved.');
    expect(gradeResults([]).passed).toBe(false);
  });
});
