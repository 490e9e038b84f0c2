// Cluster DNS on real kernel state: the coredns lab passes; DNS follows the lab's objects
// through the API server's watch (changed with `lab kubectl`); a crashed CoreDNS is reported by
// its node agent, fails the DNS expectations, and is restarted after kubelet's back-off.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-dns-');

function dig(name: string): string {
  return sh(['ip', 'netns', 'exec', 'wl-coredns.test-dns', 'dig', '+short', '+tries=1', '+time=2', name]).trim();
}

describe('coredns lab', () => {
  it("passes, with every pod's resolv.conf as kubelet writes it", async () => {
    const out = tmp();
    const r = await lab(['run', 'coredns', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.expectations.every((e: { passed: boolean }) => e.passed)).toBe(true);
  });

  it('follows the lab: a deleted service disappears from DNS; stopping CoreDNS fails the DNS expectations', async () => {
    expect((await lab(['up', 'coredns'])).code).toBe(0);
    try {
      expect(readFileSync('/etc/netns/wl-coredns.test-dns/resolv.conf', 'utf8')).toBe(
        'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      );
      expect(dig('web-service.default.svc.cluster.local')).toBe('10.97.253.216');

      // Delete web-service as a user would: CoreDNS's watch of the API server drops it.
      const del = await lab(['kubectl', 'coredns', '--', 'delete', 'service', 'web-service']);
      expect(del.code, del.stderr).toBe(0);
      await waitFor(() => dig('web-service.default.svc.cluster.local') === '', 15_000, 'web-service to leave DNS');
      expect(dig('kubernetes.default.svc.cluster.local')).toBe('10.96.0.1');

      // Kill the kube-dns container: its kubelet (the node agent) reports it crashed, the pod
      // leaves kube-dns's endpoints, and every DNS expectation fails, saying no server answered.
      const pod = 'coredns-674b8bbfcf-vwlbd';
      const pids = sh(['ip', 'netns', 'pids', `wl-coredns.${pod}`])
        .trim()
        .split('\n')
        .map(Number);
      for (const pid of pids) {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'coredns') process.kill(pid, 'SIGKILL');
      }
      const state = async () =>
        (
          await lab([
            'kubectl',
            'coredns',
            '--',
            '-n',
            'kube-system',
            'get',
            'pod',
            pod,
            '-o',
            'jsonpath={.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].restartCount}',
          ])
        ).stdout;
      let seen = '';
      await waitFor(async () => (seen = await state()) === 'CrashLoopBackOff 0', 5_000, 'the crash to be reported');
      const out = tmp();
      const t = await lab(['test', 'coredns', '--out', out]);
      expect(t.code).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const first = report.expectations[0];
      expect(first.passed).toBe(false);
      expect(first.message).toContain('expected a reply, got none');
      expect(first.message).toMatch(/connection refused|no servers could be reached|timed out/);

      // After kubelet's back-off (10 s) the container runs again and DNS answers.
      await waitFor(async () => (seen = await state()) === ' 1', 25_000, `the restart (last: "${seen}")`);
      await waitFor(() => dig('kubernetes.default.svc.cluster.local') === '10.96.0.1', 10_000, 'DNS to answer again');
    } finally {
      expect((await lab(['down', 'coredns'])).code).toBe(0);
    }
  });
});
