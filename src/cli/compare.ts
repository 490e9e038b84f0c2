// `lab run compare-backends`: brings each compared lab up and down itself and prints the table.
import { loadComparison, type Comparison } from '../labfile/comparison.js';
import { runComparison } from '../lab/compare.js';
import { downLab } from '../lab/down.js';
import { interruption } from '../lab/interrupt.js';
import { renderComparison, type ComparisonRow } from '../report/comparison.js';
import { writeArtefacts } from '../report/artefacts.js';
import type { LabReport } from '../report/report.js';
import { labNameFromArg, listr, onInterrupt } from './common.js';

async function comparisonLabNames(c: Comparison): Promise<string[]> {
  const names: string[] = [];
  for (const l of new Set(c.compare.map((r) => r.lab))) names.push(await labNameFromArg(l));
  return names;
}

export async function cmdCompare(file: string, opts: { out?: string }): Promise<number> {
  const started = performance.now();
  const c = await loadComparison(file);
  const release = onInterrupt();
  let rows: ComparisonRow[] = [];
  try {
    await listr([
      {
        title: `Measure ${c.compare.length} pod networks`,
        task: async (_c, task) => {
          rows = await runComparison(c, opts.out, (label) => (task.output = label));
        },
      },
    ]).run();
  } catch (e) {
    if (!interruption.signal.aborted) throw e;
  } finally {
    release();
    // Only the comparison's own labs: other labs the user has up are left alone.
    if (interruption.signal.aborted) for (const l of await comparisonLabNames(c)) await downLab(l);
  }
  if (interruption.signal.aborted) return 130;
  process.stdout.write('\n' + renderComparison(rows));
  const report: LabReport = {
    lab: c.name,
    passed: rows.every((r) => r.skipped || (!r.error && r.pathMtu !== null && r.rttMs !== null && r.throughputMbps !== null)),
    durationMs: Math.round(performance.now() - started),
    expectations: rows.map((r) => ({
      name: r.label,
      passed: !r.skipped && !r.error && r.pathMtu !== null,
      ...(r.skipped ? { skipped: r.skipped } : {}),
      message: r.skipped ?? r.error ?? `overhead ${r.overheadBytes ?? 'n/a'} bytes, path MTU ${r.pathMtu}, RTT ${r.rttMs} ms, TCP ${r.throughputMbps} Mbit/s`,
      hops: [],
    })),
  };
  if (opts.out) await writeArtefacts(opts.out, report);
  return report.passed ? 0 : 1;
}
