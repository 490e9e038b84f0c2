// The exercises bench: what a learner waits for, per phase, for one exercise of each kind (a
// kernel fault on a lab without a control plane, an API change with one, a policy graded by a
// truth table): `lab exercise start` against the `lab up` inside it (start adds a healthy check,
// the faults and a broken check: target at most 3x the bare bring-up), then `lab check` and
// `lab solve`. Measured on the real lab, one run each.
import { performance } from 'node:perf_hooks';
import { prepareExercise, runChecks, solveExercise, startExercise } from '../src/lab/exercise.js';
import { downLab } from '../src/lab/down.js';

const EXERCISES = ['fdb-missing', 'selector-typo', 'dns-egress-missing'];

function row(what: string, ms: number, target?: string): void {
  console.log(`${what.padEnd(58)} ${(ms / 1000).toFixed(1).padStart(7)} s${target ? `   (target ${target})` : ''}`);
}

export async function benchExercises(): Promise<boolean> {
  console.log('\nexercises: start (up, healthy, faults, broken), check, solve\n');
  let ok = true;
  for (const name of EXERCISES) {
    const x = await prepareExercise(name);
    let upMs = 0;
    let upFrom = 0;
    const t0 = performance.now();
    try {
      await startExercise(x, {
        onStep: (s) => {
          if (s === 'bringing the lab up') upFrom = performance.now();
          else if (s.startsWith('checking that the lab is healthy') && upMs === 0) upMs = performance.now() - upFrom;
        },
      });
      const startMs = performance.now() - t0;
      row(`${name}: lab up inside start`, upMs);
      row(`${name}: lab exercise start`, startMs, '<= 3x lab up');
      ok &&= startMs <= 3 * upMs;
      const t1 = performance.now();
      await runChecks(x);
      row(`${name}: lab check (failing)`, performance.now() - t1);
      const t2 = performance.now();
      const solved = await solveExercise(x);
      row(`${name}: lab solve (fix, converge, passing check)`, performance.now() - t2);
      ok &&= solved.report.passed;
    } finally {
      await downLab(x.lab.model.lab);
    }
  }
  return ok;
}
