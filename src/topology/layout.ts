// Layout by Graphviz's `dot`, compiled to WebAssembly (@hpcc-js/wasm-graphviz): DOT in, SVG
// out, in this process, with no native binary and nothing fetched. Loaded once, on first use
// (~130 ms), so verbs that never draw do not pay for it.
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

let graphviz: Promise<Graphviz> | undefined;

export async function layoutSvg(dot: string): Promise<string> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  const svg = (await graphviz).layout(dot, 'svg', 'dot');
  // The XML prolog, DOCTYPE and generator comment are for a standalone file: inline in HTML
  // only the <svg> element is wanted.
  return svg.slice(svg.indexOf('<svg'));
}
