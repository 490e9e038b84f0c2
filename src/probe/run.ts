// Sending a probe for real: its commands, one after the other, inside the sender's namespace.
import { run, type RunResult } from '../kernel/exec.js';
import type { Probe } from './probe.js';

export async function runProbe(netns: string, probe: Probe): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const argv of probe.runs) results.push(await run(argv, { netns, allowFailure: true, timeoutMs: probe.timeoutMs }));
  return results;
}
