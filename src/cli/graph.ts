// `lab graph <lab>`: the lab's topology without running anything (no root needed): Mermaid by
// default (it pastes into GitHub Markdown), or Graphviz DOT, or an SVG laid out by Graphviz.
import { buildTopology, expectationPoints } from '../topology/build.js';
import { topologyPlan } from '../plan/plan-lab.js';
import { renderMermaid } from '../topology/mermaid.js';
import { renderDot } from '../topology/dot.js';
import { layoutSvg } from '../topology/layout.js';
import { ExitCode, prepare } from './common.js';

export const GRAPH_FORMATS = ['mermaid', 'dot', 'svg'] as const;

export async function cmdGraph(labArg: string, opts: { format?: string }): Promise<number> {
  const format = opts.format ?? 'mermaid';
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    console.error(`unknown --format "${format}": use one of ${GRAPH_FORMATS.join(', ')}`);
    throw new ExitCode(2);
  }
  const p = await prepare(labArg);
  const t = buildTopology(p.model, topologyPlan(p.model), expectationPoints(p.loaded.spec.expectations));
  const text = format === 'mermaid' ? renderMermaid(t) : format === 'dot' ? renderDot(t) : (await layoutSvg(renderDot(t))) + '\n';
  process.stdout.write(text);
  return 0;
}
