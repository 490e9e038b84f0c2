// The training verbs: `lab exercise list|start|reset`, `lab check`, `lab hint`, `lab solve`.
import { join } from 'node:path';
import { listExerciseFiles, loadExercise } from '../labfile/exercise.js';
import { SpecError } from '../labfile/errors.js';
import { skipReason } from '../lab/prepare.js';
import { LabAlreadyUp } from '../lab/up.js';
import { downLab } from '../lab/down.js';
import {
  ExerciseRefused,
  nextHint,
  prepareExercise,
  readExerciseState,
  requireStarted,
  runChecks,
  solveExercise,
  startExercise,
  type PreparedExercise,
  type Checked,
} from '../lab/exercise.js';
import { gradeResults } from '../report/grade.js';
import { REPORT_PAGE } from '../report/artefacts.js';
import { labStateDir } from '../model/names.js';
import { ExitCode, listr, onInterrupt, requireRoot } from './common.js';

async function prepared(name: string): Promise<PreparedExercise> {
  try {
    return await prepareExercise(name);
  } catch (e) {
    if (e instanceof SpecError) {
      console.error(e.message);
      throw new ExitCode(2);
    }
    throw e;
  }
}

export async function cmdExerciseList(): Promise<number> {
  const rows: string[] = [];
  for (const f of await listExerciseFiles()) {
    try {
      const x = await loadExercise(f);
      const started = (await readExerciseState(x.spec.name)) ? '  [started]' : '';
      // An exercise's own lab (a path) is shown by its file's name, so the columns stay aligned.
      const labName = x.spec.lab.replace(/^.*\//, '').replace(/\.yaml$/, '');
      rows.push(`${x.spec.name.padEnd(24)} on ${labName.padEnd(16)} ${x.spec.task.split('\n')[0]}${started}`);
    } catch (e) {
      rows.push(`${f}: ${e instanceof Error ? e.message.split('\n').slice(0, 2).join(' ') : String(e)}`);
    }
  }
  console.log(rows.join('\n'));
  console.log('\nStart one with `sudo lab exercise start <name>`.');
  return 0;
}

function printTask(x: PreparedExercise): void {
  const lab = x.lab.model.lab;
  const s = x.exercise.spec;
  console.log(`\nExercise ${lab} (from seed ${s.seed})\n\n${s.task.trim()}\n`);
  const tries = s.try.map((t) => t.replaceAll('{lab}', lab));
  console.log(
    [
      'Worth trying first:',
      ...tries.map((t) => `  ${t}`),
      `  lab exec ${lab} <node-or-pod> -- <cmd>     (ip route, bridge fdb show, iptables-save, ping, curl, dig)`,
      ...(x.lab.model.controlPlane === 'kubernetes' ? [`  lab kubectl ${lab} -- get pods,svc,endpointslices,networkpolicies -A -o wide --show-labels`] : []),
      '',
      `When you think it is fixed: lab check ${lab}   (a nudge: lab hint ${lab}; give up: lab solve ${lab}; start over: lab exercise reset ${lab})`,
    ].join('\n'),
  );
}

async function start(name: string): Promise<number> {
  requireRoot();
  const x = await prepared(name);
  const reason = skipReason(x.lab);
  if (reason) {
    console.error(`skipped: ${reason}`);
    return 3;
  }
  const release = onInterrupt();
  try {
    await listr([
      {
        title: `Start exercise ${x.lab.model.lab} (lab ${x.exercise.spec.lab}, ${x.faults.length} fault${x.faults.length === 1 ? '' : 's'})`,
        task: async (_c, task) => {
          await startExercise(x, { onStep: (s) => (task.output = s) });
        },
      },
    ]).run();
  } catch (e) {
    if (e instanceof ExerciseRefused) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof LabAlreadyUp) {
      const lab = x.lab.model.lab;
      console.error(
        `exercise "${lab}" is already up: work on it (\`lab check ${lab}\`, \`lab hint ${lab}\`), or start over with \`lab exercise reset ${lab}\``,
      );
      return 1;
    }
    throw e;
  } finally {
    release();
  }
  printTask(x);
  return 0;
}

export async function cmdExerciseStart(name: string): Promise<number> {
  return start(name);
}

export async function cmdExerciseReset(name: string): Promise<number> {
  requireRoot();
  const x = await prepared(name);
  const r = await downLab(x.lab.model.lab);
  console.log(
    `Tore down ${x.lab.model.lab}: ${r.namespaces.length} namespaces, ${r.processes} processes; starting it again, broken (the hints start from the first again)`,
  );
  return start(name);
}

function printGrade(checked: Checked, outDir: string): number {
  const grade = gradeResults(checked.results);
  console.log('\n' + grade.lines.join('\n'));
  console.log(`\nWhere your traffic went, hop by hop, on the topology: ${join(outDir, REPORT_PAGE)}`);
  return grade.passed ? 0 : 1;
}

/** A started exercise and where its check writes report.html; exit 2 when it is not started. */
async function started(name: string, out: string | undefined): Promise<{ x: PreparedExercise; outDir: string }> {
  requireRoot();
  const x = await prepared(name);
  await requireStarted(x).catch((e: Error) => {
    console.error(e.message);
    throw new ExitCode(2);
  });
  return { x, outDir: out ?? join(labStateDir(x.lab.model.lab), 'check') };
}

export async function cmdCheck(name: string, opts: { out?: string }): Promise<number> {
  const { x, outDir } = await started(name, opts.out);
  let report: Checked | undefined;
  await listr([
    { title: `Check ${x.lab.model.lab}: ${x.exercise.spec.check.length} checks`, task: async () => void (report = await runChecks(x, { outDir })) },
  ]).run();
  return printGrade(report!, outDir);
}

export async function cmdHint(name: string): Promise<number> {
  requireRoot();
  const x = await prepared(name);
  try {
    const h = await nextHint(x);
    console.log(`Hint ${h.index + 1} of ${h.total}: ${h.text.trim().replaceAll('{lab}', x.lab.model.lab)}`);
    if (h.index + 1 === h.total) console.log(`(that was the last hint; \`lab solve ${x.lab.model.lab}\` shows the fix)`);
    return 0;
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
}

export async function cmdSolve(name: string, opts: { out?: string }): Promise<number> {
  const { x, outDir } = await started(name, opts.out);
  console.log(`The fix: ${x.exercise.spec.solution.explain.trim()}\n`);
  for (const s of x.solution) console.log(`  $ ${s.says}${s.kind === 'kubectl' && s.stdin ? `  <<EOF\n${s.stdin.trimEnd()}\nEOF` : ''}`);
  let report: Checked | undefined;
  await listr([
    { title: 'Apply the solution and check', task: async (_c, task) => void (report = await solveExercise(x, { outDir, onStep: (s) => (task.output = s) })) },
  ]).run();
  return printGrade(report!, outDir);
}
