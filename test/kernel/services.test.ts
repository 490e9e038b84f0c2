// Services on real kernel state: every lab of the services issue passes (or, for IPVS on a
// kernel without it, is skipped with the kernel's reason), and deleting one KUBE-SEP chain's
// DNAT rule makes the expectation that depends on it fail, naming where the packet stopped.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedExpectation, guardLeftovers, lab, sh } from './helpers.js';
import { featureState, readKernelConfig } from '../../src/kernel/features.js';

const tmp = guardLeftovers('wirelab-svc-');

describe('services labs', () => {
  for (const name of ['clusterip', 'nodeport', 'loadbalancer', 'communication-matrix']) {
    it(`${name} passes`, async () => {
      const out = tmp();
      const r = await lab(['run', name, '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.passed).toBe(true);
      expect(report.expectations.filter((e: { passed: boolean; skipped?: string }) => !e.passed && !e.skipped)).toEqual([]);
    });
  }

  it('clusterip-ipvs runs where the kernel has IPVS and is skipped with the reason where it has not', async () => {
    const config = readKernelConfig();
    const hasIpvs = ['CONFIG_IP_VS', 'CONFIG_DUMMY'].every((f) => featureState(config, f) !== 'missing');
    const out = tmp();
    const r = await lab(['run', 'clusterip-ipvs', '--out', out]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    if (hasIpvs) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } else {
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('skipped: kernel lacks CONFIG_IP_VS');
      expect(report).toMatchObject({ passed: false, skipped: expect.stringContaining('kernel lacks CONFIG_IP_VS') });
      const doctor = await lab(['doctor']);
      expect(doctor.stdout).toMatch(/miss\s+CONFIG_IP_VS/);
      expect(doctor.stdout).toMatch(/miss\s+CONFIG_DUMMY/);
    }
  });

  it("fails the NodePort (Local) expectation at w2/eth0 when pod-d's KUBE-SEP DNAT rule is deleted", async () => {
    expect((await lab(['up', 'nodeport'])).code).toBe(0);
    try {
      const ns = 'wl-nodeport.w2';
      const nat = sh(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat']);
      // The DNAT rule of web-local's endpoint chain for pod-d (10.8.1.10:80), as kube-proxy wrote it.
      const isTarget = (l: string) => /^-A KUBE-SEP-\S+ .*"default\/web-local".*-j DNAT --to-destination 10\.8\.1\.10:80$/.test(l);
      const rule = nat.split('\n').find(isTarget);
      expect(rule, nat).toBeDefined();
      sh(['ip', 'netns', 'exec', ns, 'iptables', '-t', 'nat', '-D', ...splitRule(rule!.replace(/^-A /, ''))]);
      expect(sh(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat']).split('\n').some(isTarget)).toBe(false);

      const local = await failedExpectation('nodeport', tmp(), 'external -> NodePort (Local) on w2');
      expect(local.message).toContain('hop pod-d/eth0');
      expect(local.message).toContain('packet last seen at w2/eth0');
    } finally {
      expect((await lab(['down', 'nodeport'])).code).toBe(0);
    }
  });
});

/** iptables-save words back into argv (comments are the only quoted words here). */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}
