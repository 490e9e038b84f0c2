// compare-backends' table: one row per pod network, measured (never typed in).

export interface ComparisonRow {
  label: string;
  lab: string;
  overheadBytes: number | null;
  pathMtu: number | null;
  rttMs: number | null;
  throughputMbps: number | null;
  skipped?: string;
  error?: string;
}

export function renderComparison(rows: ComparisonRow[]): string {
  const head = ['backend', 'lab', 'overhead (bytes)', 'path MTU', 'RTT avg (ms)', 'TCP (Mbit/s)'];
  const cells = rows.map((r) => [
    r.label,
    r.lab,
    ...(r.skipped || r.error
      ? [r.skipped ?? `error: ${r.error}`, '', '', '']
      : [
          r.overheadBytes === null ? 'n/a (same node)' : String(r.overheadBytes),
          String(r.pathMtu ?? '?'),
          r.rttMs === null ? '?' : r.rttMs.toFixed(3),
          String(r.throughputMbps ?? '?'),
        ]),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
