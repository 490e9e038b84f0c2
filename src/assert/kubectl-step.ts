// A kubectl step's verdict: its exit code, and every expected output pattern matching a line of
// what it printed. Pure.
import type { ExpectationSpec } from '../labfile/schema.js';
import type { ExpectationResult } from './expectation.js';

/** What running a kubectl step gave. */
export interface KubectlWindow {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  from: number;
  to: number;
}

export function judgeKubectlStep(e: ExpectationSpec, w: KubectlWindow): ExpectationResult {
  const problems: string[] = [];
  const want = e.expect.exitCode ?? 0;
  if (w.code !== want) problems.push(`kubectl exited with ${w.code}, expected ${want}${w.stderr.trim() ? `: ${w.stderr.trim().split('\n')[0]}` : ''}`);
  for (const re of e.expect.output ?? []) {
    if (!new RegExp(re, 'm').test(w.stdout)) problems.push(`no line of its output matches /${re}/`);
  }
  const output = (w.stdout + (w.stderr ? `\n${w.stderr}` : '')).trim();
  return {
    name: e.name,
    passed: problems.length === 0,
    message: problems.length === 0 ? '' : `${problems.join('; ')}\n${indent(output)}`,
    kubectl: { command: `kubectl ${e.kubectl}`, output },
    hops: [],
    probe: { argv: w.argv, exitCode: w.code, output: output.slice(0, 2000) },
    durationMs: w.to - w.from,
  };
}

const indent = (text: string) =>
  text
    .split('\n')
    .slice(0, 30)
    .map((l) => `          ${l}`)
    .join('\n');
