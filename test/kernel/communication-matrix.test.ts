// Seed 004's communication matrix in each of kube-proxy's modes (`--kube-proxy <mode>`): it
// passes in nftables mode with the nftables chain checks (its iptables run is in
// services.test.ts), the mode `lab up` was given is the one `lab test` checks, a broken rule in
// kube-proxy's table fails the row that needs it at the chain it skipped, and IPVS mode is skipped
// with the reason where the kernel lacks IPVS.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedExpectation, guardLeftovers, lab, sh } from './helpers.js';
import { featureState, readKernelConfig } from '../../src/kernel/features.js';

const tmp = guardLeftovers('wirelab-matrix-');
const LAB = 'communication-matrix';

interface Hop {
  at: string;
  passed: boolean;
  detail?: string;
}
interface Row {
  name: string;
  passed: boolean;
  message?: string;
  hops: Hop[];
}
const reportOf = (out: string): { passed: boolean; expectations: Row[] } => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));

describe('the communication matrix in each kube-proxy mode', () => {
  it('passes in nftables mode, its Service rows traced through the kube-proxy table', async () => {
    const out = tmp();
    const r = await lab(['run', LAB, '--kube-proxy', 'nftables', '--out', out], 180_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = reportOf(out);
    expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
    const chainHops = report.expectations.flatMap((e) => e.hops.filter((h) => h.at.endsWith(' chains')).map((h) => `${e.name.split(':')[0]} @ ${h.at}`));
    expect(chainHops).toEqual([
      'pod -> service (ClusterIP) @ w1 kube-proxy chains',
      'external -> NodePort @ w2 kube-proxy chains',
      'external -> LoadBalancer @ w2 kube-proxy chains',
    ]);
  });

  it('is tested in the mode it was brought up in, and a deleted mark-for-masquerade jump fails the NodePort row at that chain', async () => {
    const up = await lab(['up', LAB, '--kube-proxy', 'nftables'], 180_000);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    try {
      const state = JSON.parse(readFileSync(`/run/wirelab/${LAB}/state.json`, 'utf8'));
      expect(state.kubeProxy).toBe('nftables');
      const other = await lab(['test', LAB, '--kube-proxy', 'iptables']);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain('lab is up with --kube-proxy nftables, not iptables');

      // web-nodeport's external chain on w2 marks the packet for masquerading, then goes to the service.
      const ns = `wl-${LAB}.w2`;
      const table = sh(['ip', 'netns', 'exec', ns, 'nft', '-a', 'list', 'table', 'ip', 'kube-proxy']);
      const rule = /chain (external-\S+-default\/web-nodeport\/tcp\/) \{[^}]*?jump mark-for-masquerade # handle (\d+)/.exec(table);
      expect(rule, table).not.toBeNull();
      sh(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'rule', 'ip', 'kube-proxy', rule![1], 'handle', rule![2]]);

      const out = tmp();
      const failed = await failedExpectation(LAB, out, 'external -> NodePort');
      expect(failed.message).toMatch(/^.*hop \S+/);
      const rows = reportOf(out).expectations;
      const nodePort = rows.find((e) => e.name.startsWith('external -> NodePort'))!;
      const chains = nodePort.hops.find((h) => h.at === 'w2 kube-proxy chains')!;
      expect(chains.passed).toBe(false);
      expect(chains.detail).toContain('expected chain mark-for-masquerade (4 of 8) after external-');
      // Only that row: the ClusterIP and LoadBalancer rows (other chains) still pass, in nftables mode.
      expect(rows.filter((e) => !e.passed).map((e) => e.name)).toEqual([nodePort.name]);
      const cluster = rows.find((e) => e.name.startsWith('pod -> service'))!;
      expect(cluster.hops.map((h) => h.at)).toContain('w1 kube-proxy chains');
    } finally {
      expect((await lab(['down', LAB])).code).toBe(0);
    }
  });

  it('in IPVS mode runs where the kernel has IPVS, and is skipped with the reason where it has not', async () => {
    const hasIpvs = ['CONFIG_IP_VS', 'CONFIG_DUMMY'].every((f) => featureState(readKernelConfig(), f) !== 'missing');
    const out = tmp();
    const r = await lab(['run', LAB, '--kube-proxy', 'ipvs', '--out', out], 180_000);
    if (hasIpvs) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toContain('skipped: kernel lacks CONFIG_IP_VS');
      expect(reportOf(out)).toMatchObject({ passed: false, skipped: expect.stringContaining('kernel lacks CONFIG_IP_VS') });
    }
  });
});
