// applyPlan: executes a plan. One process per namespace per tool run (`ip -n NS -batch -`,
// `bridge -n NS -batch -`, one sysctl, one iptables-restore), namespaces of a step in parallel.
import { performance } from 'node:perf_hooks';
import { mkdir, writeFile } from 'node:fs/promises';
import { run } from './exec.js';
import { groupStep, opensslArgv, type ToolRun } from './commands.js';
import { dirname } from 'node:path';
import { labStateDir } from '../model/names.js';
import type { Plan, Step } from '../plan/types.js';
import { writeStateFile } from './state.js';

export interface ApplyProgress {
  onStep?: (step: Step, index: number, total: number) => void;
}

/** Runs at most `limit` promises at a time; the first failure rejects after the others settle. */
async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        errors.push(e);
      }
    }
  });
  await Promise.all(workers);
  if (errors.length > 0) throw errors[0];
}

async function runTool(lab: string, r: ToolRun): Promise<void> {
  switch (r.tool) {
    case 'netns':
      // `ip netns add` in batch mode restores the original namespace after each line.
      await run(['ip', '-batch', '-'], { input: r.names.map((n) => `netns add ${n}`).join('\n') + '\n' });
      return;
    case 'ip':
      await run(['ip', '-n', r.netns, '-batch', '-'], { input: r.lines.join('\n') + '\n' });
      return;
    case 'bridge':
      await run(['bridge', '-n', r.netns, '-batch', '-'], { input: r.lines.join('\n') + '\n' });
      return;
    case 'sysctl': {
      const required = r.settings.filter((s) => !s.optional);
      const optional = r.settings.filter((s) => s.optional);
      if (required.length > 0) await run(['sysctl', '-q', '-w', ...required.map((s) => `${s.key}=${s.value}`)], { netns: r.netns, netOnly: true });
      // -e: a key this kernel does not have (module not loaded) is ignored.
      if (optional.length > 0) await run(['sysctl', '-q', '-e', '-w', ...optional.map((s) => `${s.key}=${s.value}`)], { netns: r.netns, netOnly: true, allowFailure: true });
      return;
    }
    case 'iptables-restore':
      await run(['iptables-restore', '--noflush'], { netns: r.netns, netOnly: true, input: r.rules });
      return;
    case 'ipset':
      await run(['ipset', 'restore', '-exist'], { netns: r.netns, netOnly: true, input: r.input });
      return;
    case 'ipvsadm':
      await run(['ipvsadm-restore'], { netns: r.netns, netOnly: true, input: r.input });
      return;
    case 'file':
      await writeStateFile(lab, r.path, r.content);
      return;
    case 'tls-cert':
      await mkdir(dirname(`${labStateDir(lab)}/${r.path}`), { recursive: true });
      await run(opensslArgv(labStateDir(lab), r.path, r.hosts));
      return;
    case 'netns-file':
      await mkdir(`/etc/netns/${r.netns}`, { recursive: true });
      await writeFile(`/etc/netns/${r.netns}/${r.name}`, r.content);
      return;
  }
}

/** WIRELAB_TRACE=1 prints how long each tool run takes. */
const TRACE = process.env.WIRELAB_TRACE === '1';

/** Concurrency: two cores here, but most of the time is spent in the kernel, not in `ip`. */
const PARALLEL = Number(process.env.WIRELAB_PARALLEL ?? 8);

export async function applyPlan(plan: Plan, progress: ApplyProgress = {}): Promise<void> {
  for (const [i, step] of plan.steps.entries()) {
    progress.onStep?.(step, i, plan.steps.length);
    const groups = groupStep(step);
    await inParallel(groups, PARALLEL, async (g) => {
      for (const r of g.runs) {
        const t0 = performance.now();
        await runTool(plan.lab, r);
        if (TRACE) process.stderr.write(`[trace] ${step.name} ${r.tool} ${'netns' in r ? r.netns : ''} ${(performance.now() - t0).toFixed(1)} ms\n`);
      }
    });
  }
}

/** Polls each namespace's routing table until it has every listed destination (a routing
 * daemon such as BIRD installs them); fails naming what is still missing. */
export async function waitForRoutes(items: { netns: string; routes: string[] }[], timeoutMs: number, checkInterrupted: () => void = () => {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = items.filter((i) => i.routes.length > 0);
  let missing: string[] = [];
  while (pending.length > 0) {
    checkInterrupted();
    const next: typeof pending = [];
    missing = [];
    for (const it of pending) {
      const table = (await run(['ip', '-n', it.netns, 'route', 'show'], { allowFailure: true })).stdout.split('\n').map((l) => l.split(' ')[0]);
      const lacking = it.routes.filter((r) => !table.includes(r));
      if (lacking.length > 0) {
        next.push(it);
        missing.push(`${it.netns}: ${lacking.join(', ')}`);
      }
    }
    pending = next;
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`routes not learned after ${timeoutMs} ms: ${missing.join('; ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
