// NetworkPolicy on real kernel state, checked as truth tables: the enforced labs pass, flannel
// alone does not enforce (and says so), a wrong expected cell fails naming that cell, and the
// netpol-debug exercise fails on its DNS cell until the missing egress rule is added.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT } from './helpers.js';

const tmp = guardLeftovers('wirelab-np-');

async function run(labArg: string) {
  const out = tmp();
  const r = await lab(['run', labArg, '--out', out]);
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('network policy', () => {
  for (const name of ['netpol-3tier', 'netpol-backend']) {
    it(`${name} passes, and the drops are attributed to the policy chains`, async () => {
      const { r, report } = await run(name);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(report.passed).toBe(true);
      expect(r.stdout).toMatch(/dropped by\s+WL-DENY [IE] default\//);
    });
  }

  it('netpol-flannel: the policies are accepted, warned about, and not enforced', async () => {
    const { r, report } = await run('netpol-flannel');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('flannel-vxlan does not enforce NetworkPolicy');
    expect(report.warnings[0]).toContain('does not enforce NetworkPolicy');
  });

  it('a wrong expected cell fails the run, naming the cell', async () => {
    const file = join(tmp(), 'netpol-wrong.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'labs/netpol-backend.yaml'), 'utf8')
        .replace('name: netpol-backend', 'name: netpol-wrong')
        .replace('frontend  .  X\n      other     X  X', 'frontend  .  X\n      other     .  X'),
    );
    const { r, report } = await run(file);
    expect(r.code).toBe(1);
    const t = report.expectations.find((e: { name: string }) => e.name.startsWith('ingress to the backend'));
    expect(t.passed).toBe(false);
    expect(t.message).toBe('1 wrong cell: other -> backend:8080: expected reachable, was blocked');
  });

  it('netpol-debug fails on DNS until the egress rule to kube-dns is added', async () => {
    const broken = await run('netpol-debug');
    expect(broken.r.code).toBe(1);
    const cell = broken.report.expectations.find((e: { name: string }) => e.name.startsWith('api reaches'));
    expect(cell.message).toBe('1 wrong cell: api -> kube-dns:53/udp: expected reachable, was blocked');
    expect(broken.r.stdout).toContain('WL-DENY E default/api');

    const fixed = join(tmp(), 'netpol-debug-fixed.yaml');
    writeFileSync(
      fixed,
      readFileSync(join(ROOT, 'labs/netpol-debug.yaml'), 'utf8')
        .replace('name: netpol-debug', 'name: netpol-debug-fixed')
        .replace('        # - to: [{ namespaceSelector', '        - to: [{ namespaceSelector')
        .replace('        #   ports: [{ protocol: UDP, port: 53 }', '          ports: [{ protocol: UDP, port: 53 }'),
    );
    const ok = await run(fixed);
    expect(ok.r.code, ok.r.stdout + ok.r.stderr).toBe(0);
  });
});
