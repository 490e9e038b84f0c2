// A reachability truth table judged cell by cell: the observed table against the one written in
// the lab file (never derived from the policies: that would make the test circular).
import type { ReachabilitySpec } from '../labfile/schema.js';
import { parseTruthTable } from '../labfile/validate.js';
import type { ExpectationResult } from './expectation.js';
import type { HopResult } from './hops.js';

export function renderTruthTable(from: string[], to: string[], cells: string[][], wrong?: boolean[][]): string {
  const w = Math.max(...from.map((f) => f.length));
  const head = ' '.repeat(w) + '  ' + to.join(' ');
  const rows = from.map((f, i) => f.padEnd(w) + '  ' + cells[i].map((c, j) => (wrong?.[i][j] ? `${c}!` : c).padEnd(to[j].length)).join(' '));
  return [head, ...rows].join('\n');
}

export function pendingResult(name: string, reason: string): ExpectationResult {
  return { name, passed: false, skipped: `pending: ${reason}`, message: `pending: ${reason}`, hops: [], durationMs: 0 };
}

export function judgeReachability(t: ReachabilitySpec, evidence: { observed: boolean[][]; drops: string[]; durationMs: number }): ExpectationResult {
  const expected = parseTruthTable(t.expected);
  const observed = evidence.observed.map((row) => row.map((ok) => (ok ? '.' : 'X')));
  const wrong = observed.map((row, i) => row.map((c, j) => c !== expected[i]?.[j]));
  const wrongCells: string[] = [];
  t.from.forEach((f, i) =>
    t.to.forEach((to, j) => {
      if (wrong[i][j])
        wrongCells.push(
          `${f} -> ${to}: expected ${expected[i]?.[j] === '.' ? 'reachable' : 'blocked'}, was ${observed[i][j] === '.' ? 'reachable' : 'blocked'}`,
        );
    }),
  );
  const cells = t.from.length * t.to.length;
  const passed = wrongCells.length === 0;
  const hops: HopResult[] = [
    { at: 'observed', chain: true, passed, seen: cells, absent: false, detail: `\n${renderTruthTable(t.from, t.to, observed, wrong)}` },
    ...(evidence.drops.length > 0
      ? [{ at: 'dropped by', chain: true, passed: true, seen: evidence.drops.length, absent: false, detail: evidence.drops.join('; ') }]
      : []),
  ];
  return {
    name: t.name,
    passed,
    message: passed ? `ok: ${cells} cells as expected` : `${wrongCells.length} wrong cell${wrongCells.length === 1 ? '' : 's'}: ${wrongCells.join('; ')}`,
    hops,
    durationMs: evidence.durationMs,
    table: { from: t.from, to: t.to, expected: t.from.map((_, i) => t.to.map((_, j) => expected[i]?.[j] ?? '?')), observed },
  };
}
