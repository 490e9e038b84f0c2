// The differential test: the real kube-proxy (cmd/kube-proxy of kubernetes v1.34.2, built by
// scripts/build-kubernetes.sh from the same pinned module as the control plane) runs in node02's
// namespace of a lab with the real control plane, in nftables mode and in iptables mode, and its
// rules are compared with what wirelab renders for the same node from the same Services and
// EndpointSlices (read from the API). wirelab's rendering is loaded by the same nft / iptables
// tools into a scratch network namespace (`unshare -n`), so both sides are listed by the same
// printer; the normal form takes away only ordering and counters (rules-normalise.ts). Every
// remaining difference is listed below with the upstream line that explains it, and must occur.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { lab, labNamespaces, labProcesses, ROOT, waitFor } from './helpers.js';
import { liveModel } from './live-model.js';
import { labStateDir, PROCESS_MARKER } from '../../src/model/names.js';
import { KUBE_PROXY_KUBECONFIG } from '../../src/plan/control-plane/plan.js';
import { iptablesRulesFor, nftablesInputFor } from '../../src/plan/proxy/registry.js';
import { kubeletRestoreText } from '../../src/plan/kubelet-iptables.js';
import { syncNftables } from '../../src/plan/proxy/nftables.js';
import { NFACCT_COUNTERS } from '../../src/plan/proxy/iptables-chains.js';
import { transactionText } from '../../src/plan/proxy/nft-objects.js';
import { lineDiff, normaliseIptablesSave, normaliseNftList } from '../../src/plan/proxy/testing/rules-normalise.js';
import type { ClusterModel } from '../../src/model/types.js';

const LAB = 'kpdiff';
const LAB_FILE = join(ROOT, 'test/kernel/labs/kube-proxy-diff.yaml');
const NODE = 'node02';
const NS = `wl-${LAB}.${NODE}`;
const KUBE_PROXY = join(ROOT, '.wirelab/bin/kube-proxy');

/** A difference wirelab keeps on purpose: which side has the line, and why. */
interface Known {
  side: 'real' | 'wirelab';
  line: RegExp;
  why: string;
}

/** None: the table is the same line for line. (The real kube-proxy also writes `table ip6
 * kube-proxy`, its IPv6 proxier's, with no services in this IPv4 cluster; wirelab renders IPv4.) */
const KNOWN_NFTABLES: Known[] = [];

/** None either: the node agent creates kube-proxy's nfacct counters where the kernel has
 * nfnetlink_acct (as upstream's Ensure does), so both write the `-m nfacct` matches. */
const KNOWN_IPTABLES: Known[] = [];

// Quiet: until kube-proxy's first sync the table does not exist and nft says so on stderr.
const inNs = (argv: string[]) => execFileSync('ip', ['netns', 'exec', NS, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
/** wirelab's rules, loaded by the real tool into a throwaway network namespace and listed back. */
const scratch = (script: string, input: string) => execFileSync('unshare', ['-n', 'sh', '-c', script], { input, encoding: 'utf8' });

function startKubeProxy(mode: 'nftables' | 'iptables'): ChildProcess {
  const args = [
    `--kubeconfig=${join(labStateDir(LAB), KUBE_PROXY_KUBECONFIG)}`,
    `--hostname-override=${NODE}`,
    `--proxy-mode=${mode}`,
    '--cluster-cidr=10.244.0.0/16',
    // Conntrack limits are global sysctls a network namespace may not change.
    '--conntrack-max-per-core=0',
    '--conntrack-tcp-timeout-established=0',
    '--conntrack-tcp-timeout-close-wait=0',
    '--metrics-bind-address=127.0.0.1:10249',
  ];
  return spawn('ip', ['netns', 'exec', NS, KUBE_PROXY, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, [PROCESS_MARKER]: LAB } });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** The real kube-proxy's rules once it has synced every service port and holds still. */
async function realRules(mode: 'nftables' | 'iptables', live: ClusterModel, dump: () => string): Promise<string> {
  const proxy = startKubeProxy(mode);
  let log = '';
  proxy.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const ips = live.services.filter((s) => s.clusterIP && s.clusterIP !== 'None').map((s) => s.clusterIP!);
    let last = '';
    await waitFor(
      () => {
        const now = (() => {
          try {
            return dump();
          } catch {
            return '';
          }
        })();
        const stable = now !== '' && now === last && ips.every((ip) => now.includes(ip));
        last = now;
        return stable;
      },
      60_000,
      `the real kube-proxy (${mode} mode) to sync every service; its log:\n${log.slice(-3000)}`,
    );
    return last;
  } finally {
    await stop(proxy);
  }
}

function unexplained(real: string[], ours: string[], known: Known[]) {
  const { onlyA, onlyB } = lineDiff(real, ours);
  const explained = (side: Known['side'], l: string) => known.some((k) => k.side === side && k.line.test(l));
  const unused = known.filter((k) => !(k.side === 'real' ? onlyA : onlyB).some((l) => k.line.test(l)));
  return {
    onlyReal: onlyA.filter((l) => !explained('real', l)),
    onlyWirelab: onlyB.filter((l) => !explained('wirelab', l)),
    unused: unused.map((k) => `${k.side}: ${k.line}`),
  };
}

describe('the real kube-proxy against wirelab', () => {
  let live: ClusterModel;
  // One lab for both modes (guardLeftovers checks each test against a snapshot taken before it,
  // which would see this lab as left behind): the real kube-proxy is stopped after each mode,
  // and nothing of the lab may remain after `lab down`.
  beforeAll(async () => {
    expect(labNamespaces(`wl-${LAB}.`), 'a kpdiff lab is already up').toEqual([]);
    const up = await lab(['up', LAB_FILE], 180_000);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    live = await liveModel(LAB, NODE);
  }, 240_000);
  afterAll(async () => {
    expect((await lab(['down', LAB])).code).toBe(0);
    expect(labNamespaces(`wl-${LAB}.`)).toEqual([]);
    expect(labProcesses().filter((p) => p.endsWith(':kube-proxy'))).toEqual([]);
  }, 120_000);

  it('nftables mode: the same table ip kube-proxy, up to the listed differences', async () => {
    const node = live.nodes.find((n) => n.name === NODE)!;
    const real = normaliseNftList(await realRules('nftables', live, () => inNs(['nft', 'list', 'table', 'ip', 'kube-proxy'])));
    const text = transactionText(syncNftables(nftablesInputFor(live, node)).ops);
    const ours = normaliseNftList(scratch('nft -f - && nft list table ip kube-proxy', text));
    expect(unexplained(real, ours, KNOWN_NFTABLES)).toEqual({ onlyReal: [], onlyWirelab: [], unused: [] });
    // The comparison sees a wrong rendering: another pod range changes the masquerade rules.
    const wrong = transactionText(syncNftables({ ...nftablesInputFor(live, node), clusterCIDR: '10.245.0.0/16' }).ops);
    expect(unexplained(real, normaliseNftList(scratch('nft -f - && nft list table ip kube-proxy', wrong)), KNOWN_NFTABLES).onlyReal.length).toBeGreaterThan(0);
  }, 120_000);

  it('iptables mode: the same KUBE-* chains and jumps, up to the listed differences', async () => {
    const node = live.nodes.find((n) => n.name === NODE)!;
    const real = normaliseIptablesSave(await realRules('iptables', live, () => inNs(['iptables-save'])));
    // The real kube-proxy created its counters in the node's namespace; wirelab's agent does the
    // same (kernel/nfacct.ts), so its rules are rendered with them, into a namespace that has them.
    const counters = NFACCT_COUNTERS.filter((c) => {
      try {
        inNs(['nfacct', 'get', c]);
        return true;
      } catch {
        return false;
      }
    });
    expect(counters, 'this kernel has nfnetlink_acct: the real kube-proxy creates both counters').toEqual([...NFACCT_COUNTERS]);
    const addCounters = NFACCT_COUNTERS.map((c) => `nfacct add ${c}`).join(' && ');
    // kubelet's rules first, as on the node (plan/kubelet-iptables.ts): the real kube-proxy then
    // finds its KUBE-FIREWALL jumps in place and does not add them.
    const onNode = (nfacct: boolean) => kubeletRestoreText() + iptablesRulesFor(live, node, nfacct);
    const ours = normaliseIptablesSave(scratch(`${addCounters} && iptables-restore --noflush && iptables-save`, onNode(true)));
    expect(unexplained(real, ours, KNOWN_IPTABLES)).toEqual({ onlyReal: [], onlyWirelab: [], unused: [] });
    // Without the counters the comparison sees the missing matches.
    const without = normaliseIptablesSave(scratch('iptables-restore --noflush && iptables-save', onNode(false)));
    const missed = unexplained(real, without, KNOWN_IPTABLES).onlyReal;
    for (const c of NFACCT_COUNTERS) expect(missed.some((l) => l.includes(`-m nfacct --nfacct-name ${c}`))).toBe(true);
  }, 120_000);
});
