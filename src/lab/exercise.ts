// Training exercises: start (up, healthy, faults, broken), check (the lab's own expectations,
// graded in a learner's words), hints remembered between calls, solve, reset. The exercise's
// state (hints shown) lives in the lab's state directory, so `lab down` removes it too.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadExercise, type LoadedExercise } from '../labfile/exercise.js';
import { SpecError } from '../labfile/errors.js';
import { planActions, actionRequires, type FaultStep } from '../plan/faults.js';
import { applyPlan } from '../kernel/apply.js';
import { runKubectl } from '../kernel/kubectl.js';
import { markedPids, stopProcesses } from '../kernel/processes.js';
import { startProcesses } from '../kernel/staging.js';
import { waitForRoutes } from '../kernel/readiness.js';
import { readState, writeState, writeStateFile } from '../kernel/state.js';
import { missingFeatures } from '../kernel/features.js';
import { labStateDir } from '../model/names.js';
import { prepareLoaded, type PreparedLab } from './prepare.js';
import { upLab } from './up.js';
import { testLab, type TestOptions } from './test.js';
import { downLab } from './down.js';
import type { LabReport } from '../report/report.js';
import type { ExpectationResult } from '../assert/expectation.js';

/** How long the checks are repeated after the faults (until they fail) or the fix (until they pass): the API has the change at
 * once, but a controller acts on it a moment later (the ingress controller rewrites nginx.conf
 * and reloads, BIRD re-establishes its sessions). */
const CONVERGE_MS = 30_000;

export interface PreparedExercise {
  exercise: LoadedExercise;
  lab: PreparedLab;
  faults: FaultStep[];
  solution: FaultStep[];
}

/** Reads the exercise, plans its lab, its faults and its solution; a SpecError names the line. */
export async function prepareExercise(nameOrPath: string): Promise<PreparedExercise> {
  const exercise = await loadExercise(nameOrPath);
  const lab = prepareLoaded(exercise.lab);
  lab.requires = [...new Set([...lab.requires, ...actionRequires([...exercise.spec.faults, ...exercise.spec.solution.steps])])];
  lab.missing = missingFeatures(lab.requires);
  const nodeIps = Object.fromEntries(lab.model.nodes.map((n) => [n.name, n.ip]));
  const faults = planActions(exercise.spec.faults, lab.plan, nodeIps);
  const solution = planActions(exercise.spec.solution.steps, lab.plan, nodeIps);
  const problems = [
    ...faults.problems.map((p) => exercise.problem(['faults', p.index], p.message, p.fix)),
    ...solution.problems.map((p) => exercise.problem(['solution', 'steps', p.index], p.message, p.fix)),
  ];
  if (problems.length > 0) throw new SpecError(problems);
  return { exercise, lab, faults: faults.steps, solution: solution.steps };
}

/** The lab with only the exercise's checks as its expectations. */
export function checksOnly(x: PreparedExercise): PreparedLab {
  const names = new Set(x.exercise.spec.check);
  const spec = x.lab.loaded.spec;
  return {
    ...x.lab,
    loaded: {
      ...x.lab.loaded,
      spec: { ...spec, expectations: spec.expectations.filter((e) => names.has(e.name)), reachability: spec.reachability.filter((r) => names.has(r.name)) },
    },
  };
}

/** Runs one fault or solution step against the running lab. */
export async function runStep(x: PreparedExercise, s: FaultStep): Promise<void> {
  const lab = x.lab.model.lab;
  if (s.kind === 'ops') return applyPlan({ lab, namespaces: [], steps: [{ name: s.says, ops: s.ops }], processes: [] });
  if (s.kind === 'kubectl') {
    const r = await runKubectl(lab, s.args, 60_000, s.stdin);
    if (r.code !== 0) throw new Error(`${s.says} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return;
  }
  if (s.kind === 'tls') {
    await applyPlan({ lab, namespaces: [], steps: [{ name: s.says, ops: s.ops }], processes: [] });
    const base = join(labStateDir(lab), s.path);
    const [crt, key] = await Promise.all([readFile(`${base}.crt`), readFile(`${base}.key`)]);
    const data = { 'tls.crt': crt.toString('base64'), 'tls.key': key.toString('base64') };
    const r = await runKubectl(lab, ['patch', 'secret', s.secret.name, '-n', s.secret.namespace, '--type=merge', '-p', JSON.stringify({ data })], 60_000);
    if (r.code !== 0) throw new Error(`${s.says} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return;
  }
  const state = await readState(lab);
  if (!state) throw new Error(`lab "${lab}" is not up`);
  if (s.kind === 'stop') {
    const mine = state.processes.filter((p) => p.name === s.process);
    await stopProcesses(
      await markedPids(
        mine.map((p) => p.pid),
        lab,
      ),
    );
    // Forgotten, so `lab check` does not announce it as "not running": finding that out is the exercise.
    state.processes = state.processes.filter((p) => p.name !== s.process);
    await writeState(state);
    return;
  }
  await startProcesses(lab, [s.process], {
    onStarted: async (started) => {
      state.processes.push(...started);
      await writeState(state);
    },
  });
}

/** Runs steps in order, each reported before it runs. */
export async function runSteps(x: PreparedExercise, steps: FaultStep[], onStep?: (says: string) => void): Promise<void> {
  for (const s of steps) {
    onStep?.(s.says);
    await runStep(x, s);
  }
}

/** Routes a routing daemon learns are back (a restarted BIRD), for labs that wait for them at up. */
export async function waitConverged(x: PreparedExercise): Promise<void> {
  if (x.lab.plan.converged) await waitForRoutes(x.lab.plan.converged, 60_000);
}

export interface Checked {
  report: LabReport;
  results: ExpectationResult[];
}

export async function runChecks(x: PreparedExercise, opts: TestOptions = {}): Promise<Checked> {
  let results: ExpectationResult[] = [];
  const report = await testLab(checksOnly(x), { ...opts, onResults: (r) => (results = r) });
  return { report, results };
}

interface ExerciseState {
  exercise: string;
  file: string;
  startedAt: string;
  hintsShown: number;
}

const STATE = 'exercise.json';

export async function readExerciseState(lab: string): Promise<ExerciseState | undefined> {
  const path = join(labStateDir(lab), STATE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as ExerciseState;
}

async function writeExerciseState(lab: string, s: ExerciseState): Promise<void> {
  await writeStateFile(lab, STATE, JSON.stringify(s, null, 2) + '\n');
}

export class ExerciseRefused extends Error {}

export interface StartHooks {
  onStep?: (what: string) => void;
}

/** Up, healthy, faults, broken. Anything that goes wrong tears the lab down before it is thrown:
 * an exercise whose faults leave its checks passing is refused, and nothing is left behind. */
export async function startExercise(x: PreparedExercise, hooks: StartHooks = {}): Promise<Checked> {
  const lab = x.lab.model.lab;
  const step = hooks.onStep ?? (() => {});
  step('bringing the lab up');
  await upLab(x.lab, { onStep: step });
  try {
    step('checking that the lab is healthy before the faults');
    const healthy = await runChecks(x);
    const sick = healthy.report.expectations.filter((e) => !e.passed);
    if (sick.length > 0)
      throw new ExerciseRefused(
        `${x.exercise.file}: check: the lab fails ${sick.map((e) => `"${e.name}" (${e.message})`).join(', ')} before any fault is applied; fix the lab ${x.exercise.spec.lab} or choose other checks`,
      );
    await runSteps(x, x.faults, (s) => step(`fault: ${s}`));
    step('checking that the faults break the checks');
    const broken = await checkUntil(x, false, { onStep: step });
    if (broken.report.passed)
      throw new ExerciseRefused(
        `${x.exercise.file}: faults: ${CONVERGE_MS / 1000} s after the faults the checks (${x.exercise.spec.check.map((c) => `"${c}"`).join(', ')}) still pass, so the learner would have nothing to fix: refused; fix: choose a fault that breaks a check, or a check the fault breaks`,
      );
    await writeExerciseState(lab, { exercise: x.exercise.spec.name, file: x.exercise.file, startedAt: new Date().toISOString(), hintsShown: 0 });
    return broken;
  } catch (e) {
    await downLab(lab);
    throw e;
  }
}

/** The exercise must be started (its lab up, its state written). */
export async function requireStarted(x: PreparedExercise): Promise<ExerciseState> {
  const lab = x.lab.model.lab;
  const s = await readExerciseState(lab);
  if (!s) throw new Error(`exercise "${lab}" is not started: run \`lab exercise start ${lab}\``);
  return s;
}

/** The next hint, remembered: each call shows one more, the last one again once all are shown. */
export async function nextHint(x: PreparedExercise): Promise<{ index: number; total: number; text: string }> {
  const s = await requireStarted(x);
  const hints = x.exercise.spec.hints;
  const index = Math.min(s.hintsShown, hints.length - 1);
  await writeExerciseState(x.lab.model.lab, { ...s, hintsShown: index + 1 });
  return { index, total: hints.length, text: hints[index] };
}

/** Applies the solution, then checks until the checks pass or the lab had CONVERGE_MS to follow. */
export async function solveExercise(x: PreparedExercise, opts: TestOptions & { onStep?: (says: string) => void } = {}): Promise<Checked> {
  await requireStarted(x);
  await runSteps(x, x.solution, opts.onStep);
  await waitConverged(x);
  return checkUntil(x, true, opts);
}

/** Checks until they pass (or fail), giving the lab CONVERGE_MS to follow a change. */
async function checkUntil(x: PreparedExercise, passed: boolean, opts: TestOptions & { onStep?: (says: string) => void } = {}): Promise<Checked> {
  const deadline = performance.now() + CONVERGE_MS;
  for (;;) {
    const checked = await runChecks(x, opts);
    if (checked.report.passed === passed || performance.now() > deadline) return checked;
    opts.onStep?.('the lab is still converging: checking again');
    await new Promise((r) => setTimeout(r, 1000));
  }
}
