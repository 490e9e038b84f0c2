// `lab test <lab>`: run the expectations against the lab that is up (Ctrl-C stops the captures;
// the lab stays up).
import { skipReason } from '../lab/prepare.js';
import { testLab } from '../lab/test.js';
import { interruption } from '../lab/interrupt.js';
import type { LabReport } from '../report/report.js';
import { exitCodeOf, labNameFromArg, listr, onInterrupt, overridesOf, prepare, printReport, reportSkipped, requireRoot } from './common.js';
import { ExitCode } from './exit-code.js';
import { readState } from '../kernel/state.js';
import type { LabOverrides } from '../labfile/load.js';

export async function cmdTest(labArg: string, opts: { out?: string; kubeProxy?: string }): Promise<number> {
  requireRoot();
  const p = await prepare(labArg, await upMode(labArg, overridesOf(opts)));
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

/** The lab is tested in the kube-proxy mode it was brought up in (`lab up --kube-proxy`);
 * asking for another one is a mistake the user should hear about, not a silent switch. */
async function upMode(labArg: string, asked: LabOverrides): Promise<LabOverrides> {
  const state = await readState(await labNameFromArg(labArg));
  const upIn = state?.kubeProxy;
  if (asked.kubeProxy && state && asked.kubeProxy !== upIn) {
    const was = upIn ? `with --kube-proxy ${upIn}` : "in its lab file's kube-proxy mode";
    console.error(
      `lab is up ${was}, not ${asked.kubeProxy}: test it without --kube-proxy, or \`lab down\` it and bring it up with --kube-proxy ${asked.kubeProxy}`,
    );
    throw new ExitCode(2);
  }
  return asked.kubeProxy ? asked : upIn ? { kubeProxy: upIn } : {};
}
