// applyPlan: executes a plan's commands (commands.ts decides what they are). The groups of a
// step (one per namespace) run in parallel; a step starts when the previous one is done.
// WIRELAB_RECORD=<file> appends every command, as run, to that file (JSON lines): the dry-run
// equality test reads it back.
import { performance } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { run } from './exec.js';
import { inParallel } from './parallel.js';
import { stepCommands, type Command, type ProcessCommand } from './commands.js';
import type { Plan, Step } from '../plan/types.js';

export interface ApplyProgress {
  onStep?: (step: Step, index: number, total: number) => void;
}

/** WIRELAB_TRACE=1 prints how long each command takes. */
const TRACE = process.env.WIRELAB_TRACE === '1';

/** Concurrency: two cores here, but most of the time is spent in the kernel, not in `ip`. */
const PARALLEL = Number(process.env.WIRELAB_PARALLEL ?? 8);

/** Where a command sits in the plan: step, group (namespace) and position within the group. */
export interface CommandPlace {
  step: number;
  group: number;
  seq: number;
}

/** A record of what the executor did, for WIRELAB_RECORD. */
export type Recorded = { place: CommandPlace; command: Command } | { process: ProcessCommand };

export function record(entry: Recorded): void {
  const file = process.env.WIRELAB_RECORD;
  if (file) appendFileSync(file, JSON.stringify(entry) + '\n');
}

export async function runCommand(c: Command): Promise<void> {
  switch (c.kind) {
    case 'exec':
      await run(c.argv, { input: c.input, allowFailure: c.tolerate !== undefined });
      return;
    case 'write':
      await mkdir(dirname(c.path), { recursive: true });
      await writeFile(c.path, c.content);
      return;
    case 'mkdir':
      await mkdir(c.path, { recursive: true });
      return;
  }
}

export async function applyPlan(plan: Plan, progress: ApplyProgress = {}): Promise<void> {
  for (const [i, step] of plan.steps.entries()) {
    progress.onStep?.(step, i, plan.steps.length);
    const groups = stepCommands(plan.lab, step).map((g, group) => ({ ...g, group }));
    await inParallel(groups, PARALLEL, async (g) => {
      for (const [seq, c] of g.commands.entries()) {
        const t0 = performance.now();
        record({ place: { step: i, group: g.group, seq }, command: c });
        await runCommand(c);
        if (TRACE)
          process.stderr.write(`[trace] ${step.name} ${c.kind === 'exec' ? c.argv.slice(0, 5).join(' ') : c.path} ${(performance.now() - t0).toFixed(1)} ms\n`);
      }
    });
  }
}
