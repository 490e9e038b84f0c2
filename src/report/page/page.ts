// report.html from a run's results and the lab's topology: the topology laid out once by
// Graphviz, each expectation's walk (or each truth-table cell) computed for it, all inlined.
import type { ExpectationResult } from '../../assert/expectation.js';
import { dotIds, renderDot } from '../../topology/dot.js';
import { layoutSvg } from '../../topology/layout.js';
import type { Topology } from '../../topology/types.js';
import type { LabReport } from '../report.js';
import { renderPage } from './html.js';
import { drawCell, drawWalk } from './walks.js';

export async function buildReportPage(report: LabReport, results: ExpectationResult[], topology: Topology, files: string[]): Promise<string> {
  const ids = dotIds();
  const svg = await layoutSvg(renderDot(topology, ids));
  const drawings = results.map((r) => {
    if (r.table) {
      const t = r.table;
      return { cells: t.from.map((f, i) => t.to.map((to, j) => drawCell(topology, ids, f, to, t.observed[i][j] === '.'))) };
    }
    return { drawing: drawWalk(topology, ids, r) };
  });
  return renderPage({ report, results, svg, drawings, files });
}
