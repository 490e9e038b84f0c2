// An expectation's verdict: the probe's outcome against `expect`, and every hop.
// The message explains a failure by the first hop that failed and the last hop where the
// packet was seen, which is where a learner starts looking.
import type { ExpectationSpec } from '../spec/schema.js';
import type { ProbeOutcome } from '../probe/probe.js';
import { lastSeen, type HopResult } from './hops.js';

export interface ExpectationResult {
  name: string;
  passed: boolean;
  /** Set when the expectation could not run (e.g. kernel feature missing). */
  skipped?: string;
  message: string;
  hops: HopResult[];
  probe?: { argv: string[]; exitCode: number; output: string };
  durationMs: number;
}

export function judgeOutcome(e: ExpectationSpec, outcome: ProbeOutcome): string[] {
  const problems: string[] = [];
  const wantReply = e.expect.reply ?? true;
  if (outcome.reply !== wantReply) {
    problems.push(wantReply ? `expected a reply, got none (${firstLine(outcome.error) || `exit ${outcome.exitCode}`})` : `expected no reply, but ${e.send.ping ? 'ping' : 'the connection'} succeeded`);
  }
  if (e.expect.body !== undefined && outcome.reply && !(outcome.body ?? '').includes(e.expect.body)) {
    problems.push(`expected the answer to contain "${e.expect.body}", got "${(outcome.body ?? '').trim().slice(0, 80)}"`);
  }
  if (e.expect.error !== undefined && !outcome.reply && !(outcome.error ?? '').includes(e.expect.error)) {
    problems.push(`expected the error to contain "${e.expect.error}", got "${firstLine(outcome.error)}"`);
  }
  return problems;
}

function firstLine(s: string | undefined): string {
  return (s ?? '').trim().split('\n')[0] ?? '';
}

export function summarize(e: ExpectationSpec, outcomeProblems: string[], hops: HopResult[]): { passed: boolean; message: string } {
  const failedHops = hops.filter((h) => !h.passed);
  if (outcomeProblems.length === 0 && failedHops.length === 0) {
    return { passed: true, message: `ok: ${hops.length} hop${hops.length === 1 ? '' : 's'} as expected` };
  }
  const parts = [...outcomeProblems];
  if (failedHops.length > 0) {
    const first = failedHops[0];
    const last = lastSeen(hops);
    parts.push(`hop ${first.at}: ${first.detail}`);
    parts.push(last ? `packet last seen at ${last.at}` : 'packet not seen at any capture point');
  }
  return { passed: false, message: parts.join('; ') };
}
