// The start-up bench: how long the `lab` command takes before it does anything, as ratios
// against a plain tool doing the least that command could do (these machines are noisy: runs
// alternate between the two sides and the median is taken).
// - `lab --help` against `node -e 0` (target: within 6x);
// - `lab exec <lab> <pod> -- true` against `ip netns exec <ns> true` (target: within 10x);
// - the whole `lab run flannel-vxlan` (up, 6 expectations with captures, down) against 2.5 s.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/paths.js';
import { netnsName } from '../src/model/names.js';

/** The installed command (package.json "bin"): a shell front that hands all but a ready exec to Node. */
const LAB = join(REPO_ROOT, 'bin', 'lab');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);

function time(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median times of two commands, runs alternating, after one warm-up each. */
function pair(a: string[], b: string[], runs = RUNS): { a: number; b: number } {
  time(a);
  time(b);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    ta.push(time(a));
    tb.push(time(b));
  }
  return { a: median(ta), b: median(tb) };
}

function row(what: string, ms: number, against: string, base: number, target: number): boolean {
  const ratio = ms / base;
  console.log(
    `${what.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms   ${against.padEnd(30)} ${base.toFixed(1).padStart(7)} ms   ${ratio.toFixed(2).padStart(5)}x   target ${target}x: ${ratio <= target ? 'met' : 'MISSED'}`,
  );
  return ratio <= target;
}

export async function benchStartup(): Promise<boolean> {
  console.log(`\nstart-up of the lab command, median of ${RUNS} runs each (runs alternate)\n`);
  let ok = true;
  const help = pair([LAB, '--help'], [process.execPath, '-e', '0']);
  ok = row('lab --help', help.a, 'node -e 0', help.b, 6) && ok;

  const up = spawnSync(LAB, ['up', 'flannel-vxlan'], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`lab up flannel-vxlan failed: ${up.stderr}`);
  try {
    const exec = pair([LAB, 'exec', 'flannel-vxlan', 'pod-a', '--', 'true'], ['ip', 'netns', 'exec', netnsName('flannel-vxlan', 'pod-a'), 'true']);
    ok = row('lab exec flannel-vxlan pod-a -- true', exec.a, 'ip netns exec <ns> true', exec.b, 10) && ok;
  } finally {
    spawnSync(LAB, ['down', 'flannel-vxlan'], { stdio: 'ignore' });
  }

  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(time([LAB, 'run', 'flannel-vxlan']));
  const run = median(runs);
  console.log(
    `${'lab run flannel-vxlan'.padEnd(34)} ${run.toFixed(1).padStart(8)} ms   (median of 3; up, 6 expectations, down)   target < 2500 ms: ${run < 2500 ? 'met' : 'MISSED'}`,
  );
  return ok && run < 2500;
}
