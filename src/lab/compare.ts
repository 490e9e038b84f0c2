// `compare-backends`: the same probes across pod networks, measured, never typed in.
// For each row: bring its lab up (once per lab), then between two pods measure
// - the encapsulation overhead: frame length on the underlay minus on the sender's eth0,
//   from real captures of one ping (0 when routed, 50 for VXLAN, 20 for IP-in-IP);
// - the path MTU: the largest DF ping that gets an answer (binary search), plus 28;
// - the round-trip time: ping's average over 20 echoes;
// - TCP throughput: iperf3 for 2 seconds (iperf3's own measurement of received bits).
import { z } from 'zod';
import { join } from 'node:path';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { prepareLab, upLab, downLab, skipReason } from './lifecycle.js';
import { run } from '../kernel/exec.js';
import { startCapture } from '../kernel/capture.js';
import { startDetached, logFileFor } from '../kernel/processes.js';
import { readPcapFile } from '../capture/pcap.js';
import { innermost } from '../capture/decode.js';
import { tcpdumpArgv } from '../capture/tcpdump.js';
import { addressBook } from '../model/address-book.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../model/names.js';
import { SpecError } from '../labfile/errors.js';

export const comparisonSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  compare: z
    .array(
      z.strictObject({
        label: z.string(),
        lab: z.string(),
        from: z.string(),
        to: z.string(),
        /** The capture point on the underlay the traffic crosses; absent for same-node rows. */
        underlay: z.string().optional(),
      }),
    )
    .min(1),
});
export type Comparison = z.infer<typeof comparisonSchema>;

export interface ComparisonRow {
  label: string;
  lab: string;
  overheadBytes: number | null;
  pathMtu: number | null;
  rttMs: number | null;
  throughputMbps: number | null;
  skipped?: string;
  error?: string;
}

export function isComparisonFile(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && 'compare' in doc;
}

export async function loadComparison(file: string): Promise<Comparison> {
  const parsed = comparisonSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!parsed.success) throw new SpecError(parsed.error.issues.map((i) => ({ file, field: i.path.join('.'), message: i.message })));
  return parsed.data;
}

/** ping's summary line: "rtt min/avg/max/mdev = 0.031/0.045/0.090/0.012 ms". */
export function parsePingAvg(out: string): number | null {
  const m = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(out);
  return m ? Number(m[1]) : null;
}

export function parseIperfMbps(json: string): number | null {
  try {
    const bps = JSON.parse(json)?.end?.sum_received?.bits_per_second;
    return typeof bps === 'number' ? Math.round(bps / 1e6) : null;
  } catch {
    return null;
  }
}

async function ping(netns: string, dst: string, size: number, df: boolean, count = 1): Promise<{ ok: boolean; out: string }> {
  const argv = ['ping', '-n', '-q', '-c', String(count), '-i', '0.05', '-W', '1', '-s', String(size), ...(df ? ['-M', 'do'] : []), dst];
  const r = await run(argv, { netns, allowFailure: true, timeoutMs: 10_000 });
  return { ok: r.exitCode === 0, out: r.stdout + r.stderr };
}

/** The largest DF payload that gets an answer, by binary search; the path MTU adds 28. */
async function pathMtu(netns: string, dst: string): Promise<number | null> {
  let lo = 0;
  let hi = 9000 - 28;
  if (!(await ping(netns, dst, lo, true)).ok) return null;
  while (lo < hi) {
    const probe = Math.floor((lo + hi + 1) / 2);
    if ((await ping(netns, dst, probe, true)).ok) lo = probe;
    else hi = probe - 1;
  }
  return lo + 28;
}

async function measureRow(lab: string, row: Comparison['compare'][number], model: Awaited<ReturnType<typeof prepareLab>>['model'], outDir: string): Promise<ComparisonRow> {
  const book = addressBook(model);
  const src = netnsName(lab, row.from);
  const dstIp = book.resolve(row.to);
  const result: ComparisonRow = { label: row.label, lab: row.lab, overheadBytes: null, pathMtu: null, rttMs: null, throughputMbps: null };
  // Overhead from captures of one ping.
  const points = [`${row.from}/eth0`, ...(row.underlay ? [row.underlay] : [])];
  const caps = await Promise.all(points.map((pt) => {
    const [where, iface] = pt.split('/');
    return startCapture(lab, netnsName(lab, where), iface, tcpdumpArgv(iface), join(outDir, `${row.label.replace(/\W+/g, '-')}_${where}_${iface}.pcap`));
  }));
  await ping(src, dstIp, 56, false, 1);
  await new Promise((r) => setTimeout(r, 100));
  await Promise.all(caps.map((c) => c.stop()));
  const lengths = await Promise.all(caps.map(async (c) => {
    const pkts = await readPcapFile(c.file);
    const p = pkts.find((x) => innermost(x.frame).ipv4?.dst === dstIp && innermost(x.frame).icmp?.type === 8);
    return p ? p.originalLength : null;
  }));
  result.overheadBytes = row.underlay && lengths[0] !== null && lengths[1] !== null ? lengths[1] - lengths[0] : null;
  result.pathMtu = await pathMtu(src, dstIp);
  result.rttMs = parsePingAvg((await ping(src, dstIp, 56, false, 20)).out);
  // iperf3: a one-off server in the destination pod, the client in the source pod.
  startDetached({ netns: netnsName(lab, row.to), name: `${row.to}/iperf3`, argv: ['iperf3', '-s', '-1', '-p', '5201'], env: { [PROCESS_MARKER]: lab } }, logFileFor(labStateDir(lab), `${row.to}/iperf3`));
  await new Promise((r) => setTimeout(r, 300));
  const ip = await run(['iperf3', '-c', dstIp, '-p', '5201', '-t', '2', '-J'], { netns: src, allowFailure: true, timeoutMs: 15_000 });
  result.throughputMbps = parseIperfMbps(ip.stdout);
  return result;
}

export async function runComparison(c: Comparison, outDir: string | undefined, onRow: (label: string) => void): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  const dir = outDir ?? `/run/wirelab/${c.name}`;
  await mkdir(dir, { recursive: true });
  for (const labName of [...new Set(c.compare.map((r) => r.lab))]) {
    const p = await prepareLab(labName);
    const mine = c.compare.filter((r) => r.lab === labName);
    const reason = skipReason(p);
    if (reason) {
      for (const r of mine) rows.push({ label: r.label, lab: r.lab, overheadBytes: null, pathMtu: null, rttMs: null, throughputMbps: null, skipped: `skipped: ${reason}` });
      continue;
    }
    await upLab(p);
    try {
      for (const r of mine) {
        onRow(r.label);
        try {
          rows.push(await measureRow(p.model.lab, r, p.model, dir));
        } catch (e) {
          rows.push({ label: r.label, lab: r.lab, overheadBytes: null, pathMtu: null, rttMs: null, throughputMbps: null, error: (e as Error).message.split('\n')[0] });
        }
      }
    } finally {
      await downLab(p.model.lab);
    }
  }
  if (!outDir) await rm(dir, { recursive: true, force: true });
  else await writeFile(join(outDir, 'comparison.json'), JSON.stringify({ name: c.name, rows }, null, 2) + '\n');
  return rows;
}

export function renderComparison(rows: ComparisonRow[]): string {
  const head = ['backend', 'lab', 'overhead (bytes)', 'path MTU', 'RTT avg (ms)', 'TCP (Mbit/s)'];
  const cells = rows.map((r) => [r.label, r.lab, ...(r.skipped || r.error ? [r.skipped ?? `error: ${r.error}`, '', '', ''] : [r.overheadBytes === null ? 'n/a (same node)' : String(r.overheadBytes), String(r.pathMtu ?? '?'), r.rttMs === null ? '?' : r.rttMs.toFixed(3), String(r.throughputMbps ?? '?')])]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
