// Reachability truth tables, probed for real: every sender tries every target (TCP connect with
// agnhost, a UDP datagram, or a DNS query for port 53/udp), in parallel, and the observed table
// is compared cell by cell with the one written in the lab file (the harness never derives it
// from the policies: that would make the test circular). Dropped probes are attributed to the
// policy rule that dropped them from the counters of the NFLOG/DROP rules on each node.
import type { ReachabilitySpec } from '../labfile/schema.js';
import { parseTruthTable } from '../labfile/validate.js';
import type { ClusterModel } from '../model/types.js';
import { addressBook } from '../model/address-book.js';
import { netnsName } from '../model/names.js';
import { run } from '../kernel/exec.js';
import { AGNHOST_SCRIPT } from '../plan/workloads/containers.js';
import type { ExpectationResult } from '../assert/expectation.js';
import type { HopResult } from '../assert/hops.js';

interface Target {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export function parseTarget(t: string): Target {
  const [name, rest] = t.split(':');
  const [port, proto] = rest.split('/');
  return { name, port: Number(port), protocol: proto === 'udp' ? 'udp' : 'tcp' };
}

function probeArgv(ip: string, t: Target): string[] {
  if (t.protocol === 'udp' && t.port === 53) return ['dig', '+tries=1', '+time=1', '+short', `@${ip}`, 'kube-dns.kube-system.svc.cluster.local'];
  return [process.execPath, AGNHOST_SCRIPT, 'connect', `${ip}:${t.port}`, '--timeout=1s', ...(t.protocol === 'udp' ? ['--protocol=udp'] : [])];
}

async function inParallel<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/** Packets counted by each "WL-DENY" rule of the node, from iptables-save -c. */
async function denyCounters(netns: string): Promise<Map<string, number>> {
  const r = await run(['iptables-save', '-c', '-t', 'filter'], { netns, netOnly: true, allowFailure: true });
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\[(\d+):\d+\] -A (\S+) .*--nflog-prefix "([^"]+)"/.exec(line);
    if (m) out.set(m[3], Number(m[1]));
  }
  return out;
}

export function renderTruthTable(from: string[], to: string[], cells: string[][], wrong?: boolean[][]): string {
  const w = Math.max(...from.map((f) => f.length));
  const head = ' '.repeat(w) + '  ' + to.join(' ');
  const rows = from.map((f, i) => f.padEnd(w) + '  ' + cells[i].map((c, j) => (wrong?.[i][j] ? `${c}!` : c).padEnd(to[j].length)).join(' '));
  return [head, ...rows].join('\n');
}

export async function runReachability(model: ClusterModel, t: ReachabilitySpec): Promise<ExpectationResult> {
  const started = Date.now();
  if (t.pending) return { name: t.name, passed: false, skipped: `pending: ${t.pending}`, message: `pending: ${t.pending}`, hops: [], durationMs: 0 };
  const book = addressBook(model);
  const targets = t.to.map(parseTarget);
  const expected = parseTruthTable(t.expected);
  const nodes = model.nodes.map((n) => netnsName(model.lab, n.name));
  const before = await Promise.all(nodes.map(denyCounters));
  const cells = t.from.flatMap((f, i) => targets.map((x, j) => ({ i, j, f, x })));
  const ok = await inParallel(cells, 8, async (c) => {
    const r = await run(probeArgv(book.resolve(c.x.name), c.x), { netns: netnsName(model.lab, c.f), allowFailure: true, timeoutMs: 5000 });
    return r.exitCode === 0 && (c.x.port !== 53 || c.x.protocol !== 'udp' || r.stdout.trim() !== '');
  });
  const after = await Promise.all(nodes.map(denyCounters));
  const observed = t.from.map((_, i) => targets.map((_, j) => (ok[i * targets.length + j] ? '.' : 'X')));
  const wrong = observed.map((row, i) => row.map((c, j) => c !== expected[i]?.[j]));
  const wrongCells = cells.filter((c) => wrong[c.i][c.j]).map((c) => `${c.f} -> ${t.to[c.j]}: expected ${expected[c.i][c.j] === '.' ? 'reachable' : 'blocked'}, was ${observed[c.i][c.j] === '.' ? 'reachable' : 'blocked'}`);
  const drops: string[] = [];
  after.forEach((m, k) => {
    for (const [prefix, n] of m) {
      const d = n - (before[k].get(prefix) ?? 0);
      if (d > 0) drops.push(`${prefix} on ${model.nodes[k].name}: ${d} packet${d === 1 ? '' : 's'}`);
    }
  });
  const passed = wrongCells.length === 0;
  const hops: HopResult[] = [
    { at: 'observed', chain: true, passed, seen: cells.length, absent: false, detail: `\n${renderTruthTable(t.from, t.to, observed, wrong)}` },
    ...(drops.length > 0 ? [{ at: 'dropped by', chain: true, passed: true, seen: drops.length, absent: false, detail: drops.join('; ') }] : []),
  ];
  return {
    name: t.name,
    passed,
    message: passed ? `ok: ${cells.length} cells as expected` : `${wrongCells.length} wrong cell${wrongCells.length === 1 ? '' : 's'}: ${wrongCells.join('; ')}`,
    hops,
    durationMs: Date.now() - started,
  };
}
