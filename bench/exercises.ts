// The exercises bench: what a learner waits for, per phase, for one exercise of each kind (a
// kernel fault on a lab without a control plane, an API change with one, a policy graded by a
// truth table). `lab exercise start` is the lab's bring-up, a healthy check, the faults and a
// broken check (whose failing probes wait for their timeouts); the exercise's own machinery is
// the faults (target < 1 s: a few commands or one kubectl call). Then `lab check` and `lab solve`.
// Measured on the real lab, one run each.
import { performance } from 'node:perf_hooks';
import { prepareExercise, runChecks, solveExercise, startExercise } from '../src/lab/exercise.js';
import { downLab } from '../src/lab/down.js';

const EXERCISES = ['fdb-missing', 'selector-typo', 'dns-egress-missing'];

function row(what: string, ms: number, target?: string): void {
  console.log(`${what.padEnd(58)} ${(ms / 1000).toFixed(1).padStart(7)} s${target ? `   (target ${target})` : ''}`);
}

/** Start's phases, from the steps it reports. */
function phases(): { mark: (s: string) => void; ms: (from: string, to: string) => number } {
  const at = new Map<string, number>();
  const mark = (s: string) => {
    const key = s.startsWith('fault: ')
      ? 'faults'
      : s.startsWith('checking that the lab is healthy')
        ? 'healthy'
        : s.startsWith('checking that the faults')
          ? 'broken'
          : s;
    if (!at.has(key)) at.set(key, performance.now());
  };
  return { mark, ms: (from, to) => (at.get(to) ?? 0) - (at.get(from) ?? 0) };
}

export async function benchExercises(): Promise<boolean> {
  console.log('\nexercises: start (up, healthy check, faults, broken check), check, solve\n');
  let ok = true;
  for (const name of EXERCISES) {
    const x = await prepareExercise(name);
    const p = phases();
    try {
      await startExercise(x, { onStep: p.mark });
      p.mark('started');
      row(`${name}: start: lab up`, p.ms('bringing the lab up', 'healthy'));
      row(`${name}: start: healthy check`, p.ms('healthy', 'faults'));
      const faults = p.ms('faults', 'broken');
      row(`${name}: start: faults`, faults, '< 1 s');
      ok &&= faults < 1000;
      row(`${name}: start: broken check`, p.ms('broken', 'started'));
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
