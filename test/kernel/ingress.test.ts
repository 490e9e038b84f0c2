// Ingress and Gateway API on real kernel state: real nginx as the controller pod, the routes
// it was configured with, TLS verified against the generated certificate, a 90/10 canary.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT } from './helpers.js';

const tmp = guardLeftovers('wirelab-ing-');

async function run(labArg: string) {
  const out = tmp();
  const r = await lab(['run', labArg, '--out', out]);
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('ingress', () => {
  for (const name of ['ingress-host', 'ingress-path-tls', 'gateway-canary']) {
    it(`${name} passes`, async () => {
      const { r, report } = await run(name);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(report.passed).toBe(true);
    });
  }

  it('a wrong backend in the expectation fails, naming the request', async () => {
    const file = join(tmp(), 'ingress-wrong.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'labs/ingress-path-tls.yaml'), 'utf8').replace('name: ingress-path-tls', 'name: ingress-wrong').replace('expect: { status: 200, body: api-1 }', 'expect: { status: 200, body: admin-1 }'));
    const { r, report } = await run(file);
    expect(r.code).toBe(1);
    const e = report.expectations.find((x: { name: string }) => x.name === 'https://app.example.com/api -> api-service');
    expect(e.passed).toBe(false);
    expect(e.message).toBe('expected the answer to contain "admin-1", got "api-1"');
  });
});
