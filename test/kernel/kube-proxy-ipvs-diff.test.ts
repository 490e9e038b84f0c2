// IPVS mode under Debian's stock kernel (`--kernel debian`; this machine's kernel has no IPVS), in
// one VM boot: the communication matrix in IPVS mode, then the IPVS half of the differential test
// against the real kube-proxy (kube-proxy-diff.test.ts has nftables and iptables mode). For the
// differential the kpdiff lab comes up in the VM with the real control plane, the real
// kube-proxy (cmd/kube-proxy v1.34.2) runs in IPVS mode in node02's namespace, and wirelab's IPVS
// plan for the same node, from the same Services and EndpointSlices, is applied by wirelab's
// executor into a scratch namespace (vm/ipvs-diff-guest.ts). Both sides' kernel state is dumped by
// the same tools: ipvsadm-save, ipset save, iptables-save's KUBE-* chains and jumps, kube-ipvs0
// and its addresses, and the sysctls either side changed. The normal forms (rules-normalise.ts)
// take away only ordering, counters and what the kernel draws at random (ipset hash seeds, a
// dummy device's MAC and index). Every remaining difference is listed below with the upstream
// line that explains it, and must occur.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { vmLeftovers } from './vm-leftovers.js';
import { IPVS_DIFF, normalForm } from './vm/ipvs-diff-files.js';
import { ensureVmTools, resolveBootKernel } from '../../src/kernel/vm-kernels.js';
import { probeKvm, runVm } from '../../src/kernel/vm.js';
import { GUEST_OUT } from '../../src/vm/initramfs.js';
import { unexplainedDifferences, type KnownDifference } from '../../src/plan/proxy/testing/rules-normalise.js';

// The guest (TCG: no nested KVM) runs the matrix and the differential test: 741 s on one machine
// of this kind, over 900 s on a slower one. The VM is stopped a minute before the hook's
// timeout, so a run that is too slow fails here alone instead of leaving qemu running (and
// taking the CPUs) under the tests that come after it.
const VM_TIMEOUT = 1_800_000;
const LAB_FILE = join(ROOT, 'test/kernel/labs/kube-proxy-diff.yaml');

/** The differences that remain, each with the upstream line (kubernetes v1.34.2) explaining it. */
const KNOWN: KnownDifference[] = [
  {
    side: 'real',
    line: /^ipset: create KUBE-6-\S+ (hash:\S+ family inet6 hashsize 1024 maxelem 65536 bucketsize 12|bitmap:port range 0-65535)$/,
    why:
      'where the node has IPv6, kube-proxy runs an IPv6 proxier beside the IPv4 one (cmd/kube-proxy/app/server_linux.go:191 ipvs.NewDualStackProxier, ' +
      'pkg/proxy/ipvs/proxier.go:145), whose sets are named KUBE-6-* (cut to 31 characters) with family inet6 (pkg/proxy/ipvs/ipset.go:106-119); ' +
      'this cluster is IPv4 only, so they stay empty, and wirelab renders the IPv4 proxier',
  },
];

const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));

// One VM boot for both: the communication matrix in IPVS mode (about a minute under TCG), then
// the control-plane lab and the differential (about 8 minutes).
describe('IPVS mode under --kernel debian: the communication matrix, and the real kube-proxy against wirelab', () => {
  let out = '';
  let exitCodes: (number | null)[] = [];
  let log = '';
  beforeAll(async () => {
    await ensureVmTools(() => {});
    const kernel = await resolveBootKernel('debian', () => {});
    const { accel } = await probeKvm(kernel);
    out = mkdtempSync(join(tmpdir(), 'wirelab-vm-test-ipvs-'));
    const node = process.execPath;
    const lab = join(ROOT, 'bin', 'lab.js');
    const console: string[] = [];
    const r = await runVm({
      kernel,
      accel,
      outDir: out,
      // The control plane, three node agents and their pods in one guest.
      memoryMb: 4096,
      env: { WIRELAB_IN_VM: '1' },
      onConsole: (l) => console.push(l),
      signal: AbortSignal.timeout(VM_TIMEOUT - 60_000),
      commands: [
        [node, lab, 'run', 'communication-matrix', '--kube-proxy', 'ipvs', '--out', `${GUEST_OUT}/matrix`],
        [node, lab, 'up', LAB_FILE],
        [node, join(ROOT, 'bin', 'run-ts.js'), join(ROOT, 'test/kernel/vm/ipvs-diff-guest.ts'), `${GUEST_OUT}/diff`],
        [node, lab, 'down', IPVS_DIFF.lab],
      ],
    });
    exitCodes = r.exitCodes;
    log = console.join('\n');
  }, VM_TIMEOUT);
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    expect(vmLeftovers()).toEqual([]);
  });

  it('the communication matrix passes in IPVS mode, its Service rows through IPVS virtual servers and the KUBE-* nat chains', () => {
    expect(exitCodes[0], log).toBe(0);
    const rep = report(join(out, 'matrix'));
    expect(rep.passed).toBe(true);
    const hops = rep.expectations.flatMap((e: { hops: { at: string; passed: boolean }[] }) => e.hops.map((h) => `${h.passed ? 'ok' : 'FAIL'} ${h.at}`));
    expect(hops).toEqual(expect.arrayContaining(['ok w1 IPVS virtual servers', 'ok w1 nat chains', 'ok w2 nat chains']));
  });

  it('the same virtual servers, ip sets, KUBE-* chains, kube-ipvs0 addresses and sysctls, up to the listed differences; a wrong rendering differs', () => {
    expect(exitCodes.slice(1), log).toEqual([0, 0, 0]);
    const dir = join(out, 'diff');
    const real = normalForm(dir, 'real');
    // The real kube-proxy did its work: a virtual server per ClusterIP, the sets, kube-ipvs0.
    expect(real.filter((l) => l.startsWith('ipvsadm: -A ')).length).toBeGreaterThan(10);
    expect(real).toContain('ipset: create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12');
    expect(real.some((l) => l.startsWith('kube-ipvs0: inet '))).toBe(true);
    expect(unexplainedDifferences(real, normalForm(dir, 'wirelab'), KNOWN)).toEqual({ onlyReal: [], onlyWirelab: [], unused: [] });
    // A wrong rendering (a service fewer, another pod range, no strict ARP) differs in every area.
    const wrong = unexplainedDifferences(real, normalForm(dir, 'wrong'), KNOWN).onlyReal;
    for (const area of ['ipvsadm', 'ipset', 'iptables', 'kube-ipvs0', 'sysctl'])
      expect(
        wrong.some((l) => l.startsWith(`${area}: `)),
        area,
      ).toBe(true);
  });
});
