// `lab run <lab>`: up, test, down. Down always runs: on failure, error, Ctrl-C and SIGTERM; only
// a lab this command brought up is torn down (one that was already up is left alone).
import { peekLabFile } from '../labfile/peek.js';
import { skipReason } from '../lab/prepare.js';
import { upLab, LabAlreadyUp } from '../lab/up.js';
import { testLab } from '../lab/test.js';
import { downLab } from '../lab/down.js';
import { interruption } from '../lab/interrupt.js';
import { opCount } from '../plan/plan-lab.js';
import type { LabReport } from '../report/report.js';
import { exitCodeOf, listr, onInterrupt, overridesOf, prepare, printReport, reportSkipped, requireRoot } from './common.js';
import { cmdCompare } from './compare.js';

export async function cmdRun(labArg: string, opts: { keep?: boolean; out?: string; kubeProxy?: string }): Promise<number> {
  requireRoot();
  const header = await peekLabFile(labArg).catch(() => undefined);
  if (header?.kind === 'comparison') return cmdCompare(header.file, opts);
  const p = await prepare(labArg, overridesOf(opts));
  const reason = skipReason(p);
  if (reason) return reportSkipped(p, reason, opts.out);
  const lab = p.model.lab;
  const release = onInterrupt();
  let report: LabReport | undefined;
  let failure: unknown;
  let notes: string[] = [];
  // Tear down only what this command started: a lab that was already up is left alone.
  let claimed = true;
  try {
    await listr([
      {
        title: `Bring up ${lab}: ${p.plan.namespaces.length} namespaces, ${opCount(p.plan)} operations`,
        task: async (_ctx, task) => {
          try {
            notes = await upLab(p, { onStep: (t) => (task.output = t) });
          } catch (e) {
            if (e instanceof LabAlreadyUp) claimed = false;
            throw e;
          }
        },
      },
      {
        title: `Run ${p.loaded.spec.expectations.length} expectations`,
        task: async (_ctx, task) => {
          const n = p.loaded.spec.expectations.length;
          report = await testLab(p, { outDir: opts.out, onExpectation: (e, i) => (task.output = `${i + 1}/${n} ${e.name}`) });
        },
      },
    ]).run();
  } catch (e) {
    failure = e;
  } finally {
    if (claimed && (!opts.keep || interruption.signal.aborted || failure !== undefined)) {
      await listr([
        {
          title: `Tear down ${lab}`,
          task: async (_c, task) => {
            const r = await downLab(lab);
            task.title = `Tore down ${lab}: ${r.namespaces.length} namespaces, ${r.processes} processes`;
          },
        },
      ]).run();
    } else if (claimed) {
      console.log(
        `\nlab "${lab}" is still up (--keep). Try: sudo npm run lab -- exec ${lab} ${p.model.pods[0]?.name ?? p.model.nodes[0].name} -- ip addr\nThen: sudo npm run lab -- down ${lab}`,
      );
    }
    release();
  }
  if (interruption.signal.aborted) return 130;
  if (failure) {
    if (failure instanceof LabAlreadyUp) {
      console.error(failure.message);
      return 1;
    }
    throw failure;
  }
  for (const n of notes) console.error(`note: ${n}`);
  printReport(report!, opts.out);
  return exitCodeOf(report!);
}
