// `compare-backends`: the same measurements across pod networks. Each lab is brought up once,
// every row of it measured (probe/measure.ts), and torn down; a lab the kernel cannot run is
// reported as skipped, row by row.
import { join } from 'node:path';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Comparison, ComparisonRowSpec } from '../labfile/comparison.js';
import { addressBook } from '../model/address-book.js';
import { labStateDir, netnsName } from '../model/names.js';
import { encapsulationOverhead, pathMtu, rttMs, throughputMbps } from '../probe/measure.js';
import type { ComparisonRow } from '../report/comparison.js';
import { prepareLab, skipReason, type PreparedLab } from './prepare.js';
import { upLab } from './up.js';
import { downLab } from './down.js';

const empty = (r: ComparisonRowSpec) => ({ label: r.label, lab: r.lab, overheadBytes: null, pathMtu: null, rttMs: null, throughputMbps: null });

async function measureRow(p: PreparedLab, row: ComparisonRowSpec, outDir: string): Promise<ComparisonRow> {
  const lab = p.model.lab;
  const dstIp = addressBook(p.model).resolve(row.to);
  const src = netnsName(lab, row.from);
  return {
    ...empty(row),
    overheadBytes: await encapsulationOverhead(lab, row.from, dstIp, row.underlay, outDir, row.label),
    pathMtu: await pathMtu(src, dstIp),
    rttMs: await rttMs(src, dstIp),
    throughputMbps: await throughputMbps(lab, row.from, row.to, dstIp),
  };
}

export async function runComparison(c: Comparison, outDir: string | undefined, onRow: (label: string) => void): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  const dir = outDir ?? labStateDir(c.name);
  await mkdir(dir, { recursive: true });
  for (const labName of [...new Set(c.compare.map((r) => r.lab))]) {
    const p = await prepareLab(labName);
    const mine = c.compare.filter((r) => r.lab === labName);
    const reason = skipReason(p);
    if (reason) {
      for (const r of mine) rows.push({ ...empty(r), skipped: `skipped: ${reason}` });
      continue;
    }
    await upLab(p);
    try {
      for (const r of mine) {
        onRow(r.label);
        try {
          rows.push(await measureRow(p, r, dir));
        } catch (e) {
          rows.push({ ...empty(r), error: (e as Error).message.split('\n')[0] });
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
