// Cluster DNS on real kernel state: the coredns lab passes; DNS follows the lab's objects
// through the API server's watch; stopping CoreDNS makes the DNS expectations fail, saying so.
import { describe, expect, it } from 'vitest';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-dns-');
const MODEL = '/run/wirelab/coredns/model.json';

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

      // Delete web-service from the lab's objects: the API server emits a watch event.
      const model = JSON.parse(readFileSync(MODEL, 'utf8'));
      model.services = model.services.filter((s: { name: string }) => s.name !== 'web-service');
      writeFileSync(`${MODEL}.tmp`, JSON.stringify(model));
      renameSync(`${MODEL}.tmp`, MODEL);
      await waitFor(() => dig('web-service.default.svc.cluster.local') === '', 15_000, 'web-service to leave DNS');

      // Stop the kube-dns container: every DNS expectation fails and says no server answered.
      const pids = sh(['ip', 'netns', 'pids', 'wl-coredns.coredns-674b8bbfcf-vwlbd']).trim().split('\n').map(Number);
      for (const pid of pids) {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'coredns') process.kill(pid, 'SIGKILL');
      }
      const out = tmp();
      const t = await lab(['test', 'coredns', '--out', out]);
      expect(t.code).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const first = report.expectations[0];
      expect(first.passed).toBe(false);
      expect(first.message).toContain('expected a reply, got none');
      expect(first.message).toMatch(/connection refused|no servers could be reached|timed out/);
      expect(first.message).toContain('packet last seen at coredns-674b8bbfcf-vwlbd/eth0');
      expect(first.message).toContain('coredns-674b8bbfcf-vwlbd/coredns is not running');
    } finally {
      expect((await lab(['down', 'coredns'])).code).toBe(0);
    }
  });
});
