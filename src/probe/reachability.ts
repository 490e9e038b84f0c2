// Reachability truth tables, probed for real: every sender tries every target (TCP connect with
// agnhost, a UDP datagram, or a DNS query for port 53/udp), in parallel, and the packet counters
// of the policy engine's NFLOG/DROP rules are read on each node before and after, so that
// dropped probes can be attributed to the rule that dropped them. Gathering only: what the
// table should be is written in the lab file and judged by assert/reachability.ts.
import type { ReachabilitySpec } from '../labfile/schema.js';
import type { ClusterModel } from '../model/types.js';
import type { AddressBook } from '../model/address-book.js';
import { netnsName } from '../model/names.js';
import { KUBE_BIN } from '../plan/workloads/programs.js';
import { run } from '../kernel/exec.js';
import { inParallel } from '../kernel/parallel.js';

export interface Target {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export function parseTarget(t: string): Target {
  const [name, rest] = t.split(':');
  const [port, proto] = rest.split('/');
  return { name, port: Number(port), protocol: proto === 'udp' ? 'udp' : 'tcp' };
}

export function cellArgv(ip: string, t: Target): string[] {
  if (t.protocol === 'udp' && t.port === 53) return ['dig', '+tries=1', '+time=1', '+short', `@${ip}`, 'kube-dns.kube-system.svc.cluster.local'];
  // As the upstream network policy e2e tests probe (test/e2e/network/netpol): agnhost connect.
  return [KUBE_BIN.agnhost, 'connect', `${ip}:${t.port}`, '--timeout=1s', ...(t.protocol === 'udp' ? ['--protocol=udp'] : [])];
}

/** Packets counted by each policy drop rule of a node (by its NFLOG prefix), from iptables-save -c. */
async function denyCounters(netns: string): Promise<Map<string, number>> {
  const r = await run(['iptables-save', '-c', '-t', 'filter'], { netns, netOnly: true, allowFailure: true });
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\[(\d+):\d+\] -A (\S+) .*--nflog-prefix "([^"]+)"/.exec(line);
    if (m) out.set(m[3], Number(m[1]));
  }
  return out;
}

export interface ReachabilityEvidence {
  /** observed[i][j]: sender i reached target j. */
  observed: boolean[][];
  /** Packets dropped during the probes, per node and drop rule ("<prefix> on <node>: n packets"). */
  drops: string[];
  durationMs: number;
}

export async function probeReachability(model: ClusterModel, book: AddressBook, t: ReachabilitySpec): Promise<ReachabilityEvidence> {
  const started = performance.now();
  const targets = t.to.map(parseTarget);
  const nodes = model.nodes.map((n) => netnsName(model.lab, n.name));
  const before = await Promise.all(nodes.map(denyCounters));
  const cells = t.from.flatMap((f) => targets.map((x) => ({ f, x })));
  const ok = await inParallel(cells, 8, async (c) => {
    const r = await run(cellArgv(book.resolve(c.x.name), c.x), { netns: netnsName(model.lab, c.f), allowFailure: true, timeoutMs: 5000 });
    return r.exitCode === 0 && (c.x.port !== 53 || c.x.protocol !== 'udp' || r.stdout.trim() !== '');
  });
  const after = await Promise.all(nodes.map(denyCounters));
  const drops: string[] = [];
  after.forEach((m, k) => {
    for (const [prefix, n] of m) {
      const d = n - (before[k].get(prefix) ?? 0);
      if (d > 0) drops.push(`${prefix} on ${model.nodes[k].name}: ${d} packet${d === 1 ? '' : 's'}`);
    }
  });
  return { observed: t.from.map((_, i) => targets.map((_, j) => ok[i * targets.length + j])), drops, durationMs: Math.round(performance.now() - started) };
}
