// `lab test <lab>`: run the expectations against the lab that is up (Ctrl-C stops the captures;
// the lab stays up).
import { skipReason } from '../lab/prepare.js';
import { testLab } from '../lab/test.js';
import { interruption } from '../lab/interrupt.js';
import type { LabReport } from '../report/report.js';
import { exitCodeOf, listr, onInterrupt, prepare, printReport, reportSkipped, requireRoot } from './common.js';

export async function cmdTest(labArg: string, opts: { out?: string }): Promise<number> {
  requireRoot();
  const p = await prepare(labArg);
  const reason = skipReason(p);
  if (reason) return reportSkipped(p, reason, opts.out);
  const release = onInterrupt('stopping captures (the lab stays up)');
  let report: LabReport | undefined;
  try {
    await listr([
      {
        title: `Run ${p.loaded.spec.expectations.length} expectations against ${p.model.lab}`,
        task: async (_c, task) => {
          const n = p.loaded.spec.expectations.length;
          report = await testLab(p, { outDir: opts.out, onExpectation: (e, i) => (task.output = `${i + 1}/${n} ${e.name}`) });
        },
      },
    ]).run();
  } catch (e) {
    if (interruption.signal.aborted) return 130;
    throw e;
  } finally {
    release();
  }
  if (interruption.signal.aborted) return 130;
  printReport(report!, opts.out);
  return exitCodeOf(report!);
}
