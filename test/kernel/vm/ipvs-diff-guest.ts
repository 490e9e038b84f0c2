// The guest half of the IPVS differential test (kube-proxy-ipvs-diff.test.ts), run inside the
// lab VM with the kpdiff lab up: `node bin/run-ts.js test/kernel/vm/ipvs-diff-guest.ts <out>`.
// 1. The real kube-proxy (cmd/kube-proxy v1.34.2) runs in IPVS mode in node02's namespace until
//    it has synced every service and holds still; its kernel state is dumped to <out>/real/.
// 2. wirelab's IPVS plan for the same node, rendered from the same Services and EndpointSlices
//    (read from the API) with the addresses wirelab's pod network plan gives node02, is applied
//    by wirelab's own executor into a scratch namespace, and dumped by the same tools to
//    <out>/wirelab/; a deliberately wrong rendering (a service fewer, another pod range, no
//    strict ARP) goes to <out>/wrong/, so the host can show the comparison sees differences.
// The host-side test normalises and compares; everything here dies with the VM.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { liveModel } from '../live-model.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../../../src/model/names.js';
import { KUBE_PROXY_KUBECONFIG } from '../../../src/plan/control-plane/plan.js';
import { cniBackend } from '../../../src/plan/cni/registry.js';
import { planIpvsNode } from '../../../src/plan/proxy/ipvs-node.js';
import { applyPlan } from '../../../src/kernel/apply.js';
import type { ClusterModel } from '../../../src/model/types.js';
import type { Op } from '../../../src/plan/types.js';
import { REPO_ROOT } from '../../../src/paths.js';
import { IPVS_DIFF } from './ipvs-diff-files.js';

const { lab: LAB, node: NODE } = IPVS_DIFF;
const NS = netnsName(LAB, NODE);
const out = process.argv[2];
if (!out) throw new Error('usage: ipvs-diff-guest.ts <out dir>');

const inNs = (ns: string, argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const quiet = (f: () => string) => {
  try {
    return f();
  } catch {
    return '';
  }
};

/** Every net.* sysctl of the namespace (`sysctl -a` in it): key -> value. */
function sysctls(ns: string): Record<string, string> {
  const all: Record<string, string> = {};
  for (const l of inNs(ns, ['sysctl', '-a', '-r', '^net\\.']).split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(l);
    if (m) all[m[1]] = m[2];
  }
  return all;
}

/** What the comparison reads, dumped from one namespace. */
function dump(ns: string, side: string): void {
  const dir = join(out, side);
  mkdirSync(dir, { recursive: true });
  const files: Record<keyof typeof IPVS_DIFF.files, string> = {
    ipvsadm: inNs(ns, ['ipvsadm-save', '-n']),
    ipset: inNs(ns, ['ipset', 'save']),
    iptables: inNs(ns, ['iptables-save']),
    link: quiet(() => inNs(ns, ['ip', '-o', 'link', 'show', 'dev', 'kube-ipvs0'])),
    addr: quiet(() => inNs(ns, ['ip', '-o', 'addr', 'show', 'dev', 'kube-ipvs0'])),
    sysctl: JSON.stringify(sysctls(ns), null, 1),
  };
  for (const [k, text] of Object.entries(files)) writeFileSync(join(dir, IPVS_DIFF.files[k as keyof typeof IPVS_DIFF.files]), text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real kube-proxy in IPVS mode until its state holds still with every ClusterIP in it. */
async function runRealKubeProxy(live: ClusterModel): Promise<void> {
  const args = [
    `--kubeconfig=${join(labStateDir(LAB), KUBE_PROXY_KUBECONFIG)}`,
    `--hostname-override=${NODE}`,
    '--proxy-mode=ipvs',
    '--cluster-cidr=10.244.0.0/16',
    // wirelab turns strict ARP on where the lab has MetalLB pools (ipvs-node.ts), as MetalLB's
    // documentation asks of IPVS clusters; this lab has one.
    '--ipvs-strict-arp',
    // Conntrack limits are global sysctls a network namespace may not change.
    '--conntrack-max-per-core=0',
    '--conntrack-tcp-timeout-established=0',
    '--conntrack-tcp-timeout-close-wait=0',
    '--metrics-bind-address=127.0.0.1:10249',
    // Its syncs in the log (kept in <out>/kube-proxy.log).
    '--v=2',
  ];
  const proxy = spawn('ip', ['netns', 'exec', NS, join(REPO_ROOT, '.wirelab/bin/kube-proxy'), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, [PROCESS_MARKER]: LAB },
  });
  let log = '';
  proxy.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const ips = live.services.filter((s) => s.clusterIP && s.clusterIP !== 'None').map((s) => s.clusterIP!);
  // Without iptables-save's "# Generated ... on <time>" lines and counters, which change by themselves.
  const state = () =>
    quiet(
      () =>
        inNs(NS, ['ipvsadm-save', '-n']) +
        inNs(NS, ['ipset', 'save']) +
        inNs(NS, ['iptables-save'])
          .replace(/^#.*$/gm, '')
          .replace(/\[\d+:\d+\]/g, ''),
    );
  // Every proxier it started (one per IP family the node has: server_linux.go:191) has synced at
  // least once: ipvs/proxier.go logs "Record nodeIP and family" per proxier at --v=2 and sets
  // kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family} after each sync (proxier.go:1442).
  // Without this the state can hold still between the IPv4 proxier's sync and the IPv6 one's.
  const families = () => [...log.matchAll(/"Record nodeIP and family".*?\bfamily="(IPv[46])"/g)].map((m) => m[1]);
  const syncedFamilies = () =>
    [
      ...quiet(() => inNs(NS, ['curl', '-s', '--max-time', '5', 'http://127.0.0.1:10249/metrics'])).matchAll(
        /^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="(IPv[46])"\} [1-9]/gm,
      ),
    ].map((m) => m[1]);
  let last = '';
  const deadline = performance.now() + IPVS_DIFF.syncTimeoutMs;
  try {
    for (;;) {
      if (proxy.exitCode !== null) throw new Error(`the real kube-proxy exited (${proxy.exitCode}); its log:\n${log.slice(-4000)}`);
      const now = state();
      const started = families();
      const synced = syncedFamilies();
      const allSynced = started.length > 0 && started.every((f) => synced.includes(f));
      if (now !== '' && now === last && allSynced && ips.every((ip) => now.includes(`${ip}:`))) break;
      if (performance.now() > deadline) {
        const missing = ips.filter((ip) => !now.includes(`${ip}:`));
        throw new Error(
          `the real kube-proxy did not sync every service in ${IPVS_DIFF.syncTimeoutMs / 1000} s (${now === last ? 'holding still' : 'still changing'}; ` +
            `proxiers started: ${started.join(', ') || 'none'}, synced: ${synced.join(', ') || 'none'}; ` +
            `ClusterIPs missing from IPVS: ${missing.join(', ') || 'none'}); its log:\n${log.slice(-4000)}`,
        );
      }
      last = now;
      await sleep(3000);
    }
  } finally {
    writeFileSync(join(out, 'kube-proxy.log'), log);
    if (proxy.exitCode === null) {
      const exited = new Promise((r) => proxy.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
  }
}

/** wirelab's plan for the node, applied by wirelab's executor into a fresh namespace with lo up
 * and a route to the pod network, as node02 has (ip_vs_new_dest refuses a real server whose
 * address type is not unicast or local, and a namespace without any local address has no local
 * routing table to tell). */
async function applyWirelab(model: ClusterModel, scratch: string, opts: { strictARP?: boolean } = {}): Promise<void> {
  const node = model.nodes.find((n) => n.name === NODE)!;
  const podNetwork = cniBackend(model.network.cni).plan(model).nodeAddresses[NODE] ?? [];
  const plan = planIpvsNode(model, node, podNetwork, { kernelVersion: release(), ...opts });
  const here = (ops: Op[]): Op[] => ops.map((op) => ('netns' in op && op.netns === NS ? { ...op, netns: scratch } : op));
  const route = (args: string[]): Op => ({ kind: 'ip', netns: scratch, args });
  await applyPlan({
    lab: LAB,
    namespaces: [],
    processes: [],
    steps: [
      { name: 'scratch namespace', ops: [{ kind: 'netns', netns: scratch }] },
      {
        name: 'lo and a route to the pods',
        ops: [
          route(['link', 'set', 'lo', 'up']),
          route(['link', 'add', 'podroute', 'type', 'dummy']),
          route(['link', 'set', 'podroute', 'up']),
          route(['route', 'add', model.network.podCIDR, 'dev', 'podroute']),
        ],
      },
      { name: 'kube-proxy rules', ops: here(plan.ruleOps) },
      { name: 'kube-proxy node state', ops: here(plan.nodeOps) },
    ],
  });
}

const t0 = performance.now();
const live = await liveModel(LAB, NODE);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'model.json'), JSON.stringify(live, null, 1));
dump(NS, 'before');
await runRealKubeProxy(live);
dump(NS, 'real');
console.log(`ipvs-diff: the real kube-proxy synced in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await applyWirelab(live, 'ipvsdiff-wirelab');
dump('ipvsdiff-wirelab', 'wirelab');
const wrong: ClusterModel = {
  ...live,
  network: { ...live.network, podCIDR: '10.245.0.0/16' },
  services: live.services.filter((s) => s.name !== 'web-ext'),
};
await applyWirelab(wrong, 'ipvsdiff-wrong', { strictARP: false });
dump('ipvsdiff-wrong', 'wrong');
// Baselines: a fresh namespace's sysctls, so the host can tell what each side changed.
execFileSync('ip', ['netns', 'add', 'ipvsdiff-fresh']);
dump('ipvsdiff-fresh', 'fresh');
for (const ns of ['ipvsdiff-wirelab', 'ipvsdiff-wrong', 'ipvsdiff-fresh']) execFileSync('ip', ['netns', 'del', ns]);
console.log(`ipvs-diff: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
