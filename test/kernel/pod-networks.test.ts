// Pod networks on real kernel state: each lab passes, and one piece of broken state per lab
// makes its key expectation fail.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, labNamespaces, sh, spawnLab, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-pn-');

async function runAndReport(name: string) {
  const out = tmp();
  const r = await lab(['run', name, '--out', out]);
  return { r, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

async function sabotaged(name: string, breakIt: () => void): Promise<{ name: string; passed: boolean; message: string }[]> {
  expect((await lab(['up', name])).code).toBe(0);
  try {
    breakIt();
    const out = tmp();
    const t = await lab(['test', name, '--out', out]);
    expect(t.code, t.stdout + t.stderr).toBe(1);
    return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).expectations;
  } finally {
    expect((await lab(['down', name])).code).toBe(0);
  }
}

describe('pod networks', () => {
  for (const name of ['flannel-host-gw', 'pod-localhost', 'calico-bgp']) {
    it(`${name} passes`, async () => {
      const { r, report } = await runAndReport(name);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(report.passed).toBe(true);
    });
  }

  it("flannel-host-gw: without the route to w2's pod range, the cross-node ping stops at w1", async () => {
    const results = await sabotaged('flannel-host-gw', () => {
      expect(sh(['ip', '-n', 'wl-flannel-host-gw.w1', 'route', 'show', '10.8.1.0/24'])).toContain('10.8.1.0/24 via 10.10.20.5 dev eth0');
      sh(['ip', '-n', 'wl-flannel-host-gw.w1', 'route', 'del', '10.8.1.0/24']);
    });
    const cross = results.find((e) => e.name.startsWith('cross-node'))!;
    expect(cross.passed).toBe(false);
    expect(cross.message).toContain('hop w1/eth0');
    expect(cross.message).toContain('packet last seen at pod-a/eth0');
  });

  it("calico-bgp: when BIRD on w2 stops, w2's block leaves w1 and the cross-node expectation fails", async () => {
    const results = await sabotaged('calico-bgp', () => {
      expect(sh(['ip', '-n', 'wl-calico-bgp.w1', 'route', 'show', 'proto', 'bird'])).toContain('10.8.0.16/29 via 10.10.20.5 dev eth0');
      const bird = sh(['ip', 'netns', 'pids', 'wl-calico-bgp.w2'])
        .trim()
        .split('\n')
        .map(Number)
        .find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bird')!;
      process.kill(bird, 'SIGTERM');
      // BIRD on w1 sees the session close and withdraws what it learned from w2.
      const deadline = performance.now() + 10_000;
      while (sh(['ip', '-n', 'wl-calico-bgp.w1', 'route', 'show', 'proto', 'bird']).includes('10.8.0.16/29') && performance.now() < deadline) execSleep(100);
      expect(sh(['ip', '-n', 'wl-calico-bgp.w1', 'route', 'show', 'proto', 'bird'])).not.toContain('10.8.0.16/29');
    });
    const cross = results.find((e) => e.name.startsWith('cross-node'))!;
    expect(cross.passed).toBe(false);
    expect(cross.message).toContain('packet last seen at app-1/eth0');
    const bgp = results.find((e) => e.name.startsWith('BGP sessions'))!;
    expect(bgp.passed).toBe(false);
    expect(bgp.message).toMatch(/w1 routes: missing "10\.8\.0\.16\/29 via 10\.10\.20\.5/);
  });

  it('calico-ipip runs where the kernel has IPIP and is skipped with the reason where it has not', async () => {
    const { featureState, readKernelConfig } = await import('../../src/kernel/features.js');
    const hasIpip = featureState(readKernelConfig(), 'CONFIG_NET_IPIP') !== 'missing';
    const { r, report } = await runAndReport('calico-ipip');
    if (hasIpip) expect(r.code, r.stdout + r.stderr).toBe(0);
    else {
      expect(r.code).toBe(3);
      expect(report.skipped).toBe('skipped: kernel lacks CONFIG_NET_IPIP (IP-in-IP tunnels (Calico IPIP))');
    }
  });

  it("pod-localhost: with the pod's lo down, its containers cannot reach each other", async () => {
    const results = await sabotaged('pod-localhost', () => sh(['ip', '-n', 'wl-pod-localhost.web-cache', 'link', 'set', 'lo', 'down']));
    const local = results.find((e) => e.name.startsWith('nginx -> redis'))!;
    expect(local.passed).toBe(false);
    expect(local.message).toContain('expected a reply, got none');
    // The pod's own address still works from outside: only localhost broke.
    expect(results.find((e) => e.name.startsWith("the pod's own address"))!.passed).toBe(true);
  });
});

function execSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('compare-backends', () => {
  it('measures overhead and path MTU from the kernel: VXLAN 50/1450, routed 0/1500', async () => {
    const out = tmp();
    const r = await lab(['run', 'compare-backends', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')).rows as {
      label: string;
      overheadBytes: number | null;
      pathMtu: number | null;
      rttMs: number | null;
      throughputMbps: number | null;
    }[];
    const by = Object.fromEntries(rows.map((x) => [x.label, x]));
    expect(by['flannel VXLAN']).toMatchObject({ overheadBytes: 50, pathMtu: 1450 });
    expect(by['flannel host-gw']).toMatchObject({ overheadBytes: 0, pathMtu: 1500 });
    expect(by['Calico BGP']).toMatchObject({ overheadBytes: 0, pathMtu: 1500 });
    expect(by['same-node bridge']).toMatchObject({ overheadBytes: null, pathMtu: 1450 });
    for (const x of rows.filter((x) => x.rttMs !== null)) {
      expect(x.rttMs).toBeGreaterThan(0);
      expect(x.throughputMbps).toBeGreaterThan(0);
    }
    expect(r.stdout).toMatch(/flannel VXLAN\s+flannel-vxlan\s+50\s+1450/);
  });
});

describe('compare-backends interrupted', () => {
  it('tears down its own labs on SIGINT and leaves another lab that is up alone', async () => {
    expect((await lab(['up', 'pod-localhost'])).code).toBe(0);
    try {
      const child = spawnLab(['run', 'compare-backends']);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      await waitFor(() => labNamespaces('wl-flannel-vxlan.').length > 0, 60_000, 'the comparison to bring its first lab up');
      child.kill('SIGINT');
      expect(await exited, out).toBe(130);
      expect(labNamespaces('wl-flannel-vxlan.')).toEqual([]);
      expect(labNamespaces('wl-pod-localhost.').length).toBeGreaterThan(0);
    } finally {
      expect((await lab(['down', 'pod-localhost'])).code).toBe(0);
    }
  });
});
