// A strict reader of the Mermaid flowchart subset renderMermaid writes: it refuses anything
// Mermaid's parser could read differently (an unbalanced subgraph, a raw quote in a label, an
// edge to an undeclared node, a reserved word as an id) and returns what it read.
const ID = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED = new Set(['end', 'graph', 'subgraph', 'flowchart', 'style', 'class', 'classDef', 'click', 'default', 'linkStyle', 'direction']);
const LABEL = '"[^"]*"';
const SHAPES = ['\\[\\[', '\\]\\]', '\\(\\[', '\\]\\)', '\\{\\{', '\\}\\}', '\\[', '\\]'];
const NODE = new RegExp(`^(\\w+)(${SHAPES.filter((_, i) => i % 2 === 0).join('|')})(${LABEL})(${SHAPES.filter((_, i) => i % 2 === 1).join('|')})$`);
const SUBGRAPH = new RegExp(`^subgraph (\\w+)\\[(${LABEL})\\]$`);
const EDGE = new RegExp(`^(\\w+) (---|-\\.-|===)(?:\\|(${LABEL})\\|)? (\\w+)$`);
const PAIRS: Record<string, string> = { '[[': ']]', '([': '])', '{{': '}}', '[': ']' };

export interface MermaidGraph {
  nodes: Map<string, { label: string; subgraph?: string }>;
  subgraphs: Map<string, { label: string; parent?: string }>;
  edges: { a: string; b: string; arrow: string; label?: string }[];
}

export function checkMermaid(text: string): MermaidGraph {
  const lines = text.split('\n');
  if (lines[0] !== 'flowchart TB') throw new Error(`line 1: expected "flowchart TB", got ${JSON.stringify(lines[0])}`);
  const g: MermaidGraph = { nodes: new Map(), subgraphs: new Map(), edges: [] };
  const stack: string[] = [];
  const useId = (id: string, n: number) => {
    if (!ID.test(id) || RESERVED.has(id)) throw new Error(`line ${n}: bad id ${JSON.stringify(id)}`);
    if (g.nodes.has(id) || g.subgraphs.has(id)) throw new Error(`line ${n}: id ${id} declared twice`);
  };
  const edgeLines: [string, number][] = [];
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    const line = raw.trim();
    if (line === '') return;
    let m: RegExpExecArray | null;
    if ((m = SUBGRAPH.exec(line))) {
      useId(m[1], n);
      g.subgraphs.set(m[1], { label: m[2], ...(stack.length ? { parent: stack[stack.length - 1] } : {}) });
      stack.push(m[1]);
    } else if (line === 'end') {
      if (!stack.pop()) throw new Error(`line ${n}: "end" without a subgraph`);
    } else if ((m = NODE.exec(line))) {
      useId(m[1], n);
      if (PAIRS[m[2]] !== m[4]) throw new Error(`line ${n}: shape ${m[2]} closed by ${m[4]}`);
      g.nodes.set(m[1], { label: m[3], ...(stack.length ? { subgraph: stack[stack.length - 1] } : {}) });
    } else if (EDGE.test(line)) edgeLines.push([line, n]);
    else throw new Error(`line ${n}: not a subgraph, end, node or edge: ${JSON.stringify(line)}`);
  });
  if (stack.length > 0) throw new Error(`subgraph ${stack[stack.length - 1]} is never closed`);
  for (const [line, n] of edgeLines) {
    const m = EDGE.exec(line)!;
    for (const id of [m[1], m[4]]) if (!g.nodes.has(id)) throw new Error(`line ${n}: edge to undeclared node ${id}`);
    g.edges.push({ a: m[1], arrow: m[2], b: m[4], ...(m[3] ? { label: m[3] } : {}) });
  }
  return g;
}
