// An exercise's grade in a learner's words: which checks pass, and for each failing one what the
// traffic did, where it was last seen, where it was expected next and what dropped it, from the
// judges' own evidence. It says where to look, never what to change.
import type { ExpectationResult } from '../assert/expectation.js';
import type { HopResult } from '../assert/hops.js';
import { lastSeen } from '../assert/hops.js';

export interface Grade {
  passed: boolean;
  lines: string[];
}

/** "10.8.0.5 > 10.8.1.10 ICMP" style detail is kept; our own verdict words are dropped. */
function outcomeOf(r: ExpectationResult): string | undefined {
  const parts = r.message.split('; ').filter((p) => !p.startsWith('hop ') && !p.startsWith('packet last seen') && !p.startsWith('packet not seen'));
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function capturedHops(r: ExpectationResult): HopResult[] {
  return r.hops.filter((h) => !h.chain);
}

/** The first point after the last sighting where the packet was expected and missing. */
function missingAfter(r: ExpectationResult, last: HopResult | undefined): HopResult | undefined {
  const hops = capturedHops(r);
  const from = last ? hops.indexOf(last) + 1 : 0;
  return hops.slice(from).find((h) => !h.passed && !h.absent && h.seen === 0);
}

function place(at: string): string {
  const [where, dev] = at.split('/');
  return dev ? `${dev} of ${where}` : where;
}

/** The lines for one failing check. */
export function explainFailure(r: ExpectationResult): string[] {
  const out: string[] = [];
  const what = outcomeOf(r);
  if (what) out.push(`what happened: ${what}`);
  const hops = capturedHops(r);
  if (hops.length > 0) {
    const last = lastSeen(r.hops);
    const next = missingAfter(r, last);
    if (!last) out.push('your traffic was not seen at any capture point: it never left the sender, look there first');
    else
      out.push(`your traffic was last seen at ${place(last.at)}${next ? `, and never reached ${place(next.at)}: something between the two stopped it` : ''}`);
    const wrong = hops.find((h) => !h.passed && h.seen > 0);
    if (wrong) out.push(`at ${place(wrong.at)} it did not look as expected: ${wrong.detail}`);
  }
  for (const h of r.hops.filter((x) => x.chain && x.trace && !x.passed))
    out.push(`on node ${h.trace!.node}${h.trace!.table ? `, table ${h.trace!.table}` : ''}, it went through ${h.trace!.actual.join(' -> ') || 'no chain'}`);
  const drops = r.hops.find((h) => h.at === 'dropped by');
  if (drops) out.push(`dropped by (rule counters): ${drops.detail}`);
  if (r.kubectl) out.push(`kubectl printed: ${r.kubectl.output.trim().split('\n')[0] ?? ''}`);
  return out;
}

export function gradeResults(results: ExpectationResult[]): Grade {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name}`);
    if (!r.passed) for (const l of explainFailure(r)) lines.push(`      ${l}`);
  }
  const passed = results.length > 0 && results.every((r) => r.passed);
  const n = results.filter((r) => r.passed).length;
  lines.push(
    '',
    passed ? `All ${results.length} checks pass: the exercise is solved.` : `${n} of ${results.length} checks pass: not solved yet (\`lab hint\` for a nudge).`,
  );
  return { passed, lines };
}
