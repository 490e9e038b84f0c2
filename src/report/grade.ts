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

/** "w1/eth0" as "eth0 of w1"; a hop with several points ("a/eth0 | b/eth0") as "eth0 of a or b". */
export function place(at: string): string {
  const points = at.split(' | ').map((p) => p.split('/'));
  const devs = [...new Set(points.map(([, dev]) => dev))];
  const wheres = points.map(([where]) => where).join(' or ');
  return devs.length === 1 && devs[0] ? `${devs[0]} of ${wheres}` : points.map(([w, d]) => (d ? `${d} of ${w}` : w)).join(' or ');
}

/** "WL-DENY E default/api on w2: 2 packets" (the policy engine's NFLOG prefix and counter) in words. */
export function dropInWords(d: string): string {
  const m = /^WL-DENY ([IE]) (\S+) on (\S+): (.*)$/.exec(d);
  if (!m) return d;
  const [, dir, pod, node, count] = m;
  return `node ${node}, table filter, chain FORWARD -> WL-POLICY: the ${dir === 'I' ? 'ingress' : 'egress'} policy of pod ${pod} dropped ${count} (log prefix "WL-DENY ${dir} ${pod}")`;
}

/** The lines for one failing check. */
export function explainFailure(r: ExpectationResult): string[] {
  const out: string[] = [];
  const what = outcomeOf(r);
  if (what) out.push(`what happened: ${what.replace(/\s+/g, ' ')}`);
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
  if (drops) for (const d of drops.detail.split('; ')) out.push(`dropped at ${dropInWords(d)}`);
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
