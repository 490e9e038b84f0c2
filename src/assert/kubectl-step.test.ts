import { describe, expect, it } from 'vitest';
import { judgeKubectlStep } from './kubectl-step.js';
import type { ExpectationSpec } from '../labfile/schema.js';

const step = (expect: ExpectationSpec['expect']): ExpectationSpec =>
  ({ name: 'describe', kubectl: 'describe service web-service', expect, hops: [], state: [], chains: [] }) as unknown as ExpectationSpec;
const out = 'Name:              web-service\nSelector:          app=web\nEndpoints:         10.244.1.3:80,10.244.1.4:80\n';
const w = (code: number, stdout = out, stderr = '') => ({ argv: ['kubectl', 'describe'], code, stdout, stderr, from: 0, to: 5 });

describe('judgeKubectlStep', () => {
  it('passes when it exits 0 and every pattern matches a line', () => {
    const r = judgeKubectlStep(
      step({ tolerance: 5, output: ['^Selector:\\s+app=web$', '^Endpoints:\\s+10\\.244\\.1\\.\\d+:80,10\\.244\\.1\\.\\d+:80$'] }),
      w(0),
    );
    expect(r.passed).toBe(true);
  });

  it('fails naming each pattern no line matched, with what kubectl printed', () => {
    const r = judgeKubectlStep(step({ tolerance: 5, output: ['^Endpoints:\\s+<none>$'] }), w(0));
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/^no line of its output matches \/\^Endpoints:\\s\+<none>\$\/\n {10}Name:/);
  });

  it('fails on another exit code than expected, with its error; an expected failure passes', () => {
    const r = judgeKubectlStep(step({ tolerance: 5 }), w(1, '', 'Error from server (AlreadyExists): services "web-service" already exists\n'));
    expect(r.message).toMatch(/^kubectl exited with 1, expected 0: Error from server \(AlreadyExists\)/);
    expect(judgeKubectlStep(step({ tolerance: 5, exitCode: 1 }), w(1, '', 'x')).passed).toBe(true);
  });
});
