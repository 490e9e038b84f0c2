// The report page's style, inlined. Green passed, red failed, amber skipped; highlighted
// fields are what NAT rewrote. Printed, the list goes away and every expectation's details
// follow the drawing (of the selected one), black on white.
export const PAGE_STYLE = `
:root { --pass: #1f8a3b; --fail: #c62828; --skip: #b26a00; --ink: #1d232b; --muted: #5b6673; --line: #d8dee6; --mark: #ffe08a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fafbfc; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #fff; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 2px 0; color: var(--muted); }
.verdict { font-weight: 700; }
.verdict.pass, .pass > .badge { color: var(--pass); }
.verdict.fail, .fail > .badge { color: var(--fail); }
.verdict.skip { color: var(--skip); }
.skip > .badge { color: var(--skip); }
.files a { margin-right: 12px; }
main { display: grid; grid-template-columns: minmax(220px, 300px) 1fr; min-height: calc(100vh - 80px); }
nav { border-right: 1px solid var(--line); background: #fff; padding: 8px 0; }
nav h2, section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 8px 14px; }
#expectations { list-style: none; margin: 0; padding: 0; outline: none; }
#expectations li { padding: 7px 14px; cursor: pointer; border-left: 4px solid transparent; display: flex; gap: 8px; }
#expectations li:hover { background: #f1f4f8; }
#expectations li[aria-selected=true] { background: #e6eefb; border-left-color: #3b6fd1; }
#expectations li:focus-visible { outline: 2px solid #3b6fd1; outline-offset: -2px; }
.badge { font-weight: 700; font-size: 12px; min-width: 34px; }
.content { padding: 12px 20px; overflow: auto; }
#topology { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; }
/* Natural size on screen (scroll when wider), fitted to the paper when printed. */
#topology svg { max-width: none; height: auto; }
#topology svg text { font-family: Helvetica, Arial, "Liberation Sans", "DejaVu Sans Condensed", sans-serif; }
.legend { color: var(--muted); font-size: 12px; margin: 6px 2px 0; }
.legend span { margin-right: 14px; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; vertical-align: -1px; margin-right: 4px; }
/* The drawing of the selected walk. */
g.edge.walk-seen path { stroke: var(--pass); stroke-width: 3.5; stroke-dasharray: none; }
g.edge.walk-missed path { stroke: var(--fail); stroke-width: 2.5; stroke-dasharray: 6 4; }
/* Graphviz wraps a node's shape in <a> when it has a tooltip: descendants, not children. */
g.node.on-walk polygon, g.node.on-walk ellipse, g.node.on-walk path { stroke: #2a5db0; stroke-width: 2.2; }
g.node.addressed polygon, g.node.addressed path { stroke: #b26a00; stroke-width: 3; fill: #fff3cf; }
g.marker circle { stroke: #fff; stroke-width: 1.5; }
g.marker text { font: bold 10px Helvetica, Arial, sans-serif; fill: #fff; }
g.marker.pass circle { fill: var(--pass); }
g.marker.fail circle { fill: var(--fail); }
g.marker.missed circle { fill: #fff; stroke: var(--fail); stroke-width: 2; stroke-dasharray: 3 2; }
g.marker.missed text { fill: var(--fail); }
g.marker.absent-ok circle { fill: #7a8794; }
g.marker.absent-fail circle { fill: var(--fail); }
g.marker text.last-seen-label { fill: var(--fail); font-size: 11px; text-anchor: start; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
g.nat-tag text { font: bold 10px Helvetica, Arial, sans-serif; fill: #b26a00; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.panel { display: none; margin-top: 14px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.panel.selected { display: block; }
.panel h3 { margin: 0 0 4px; font-size: 16px; }
.panel .message { margin: 4px 0 8px; }
.panel.fail .message { color: var(--fail); }
table { border-collapse: collapse; }
table.hops { width: 100%; margin: 6px 0; }
table.hops > tbody > tr > td { border-top: 1px solid var(--line); padding: 5px 6px; vertical-align: top; }
table.hops td.n { width: 2em; text-align: right; font-weight: 700; }
table.hops td.ok { color: var(--pass); font-weight: 700; width: 1.5em; }
table.hops td.ko { color: var(--fail); font-weight: 700; width: 1.5em; }
code, .mono, .layers { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.at { font-weight: 600; }
.layers { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.layer { border: 1px solid var(--line); border-radius: 4px; padding: 2px 6px; background: #f7f9fb; }
.layer b { color: var(--muted); font-weight: 600; margin-right: 4px; }
.layer.inner { background: #eef8ee; }
mark { background: var(--mark); padding: 0 2px; border-radius: 2px; }
.nat { display: inline-block; background: #fff3cf; color: #7a4a00; border-radius: 3px; padding: 0 5px; font-size: 12px; font-weight: 700; margin-left: 6px; }
.chain { display: inline-block; padding: 1px 6px; margin: 1px 2px; border-radius: 3px; background: #eef1f5; font-family: ui-monospace, monospace; font-size: 12px; }
.chain.hit { background: #d9f2df; color: #14532d; font-weight: 700; }
.chain.want { background: #fde2e2; color: var(--fail); }
table.truth { margin: 8px 0; }
table.truth th, table.truth td { border: 1px solid var(--line); padding: 3px 8px; text-align: center; font-size: 13px; }
table.truth th[scope=row] { text-align: right; }
.cell { font: inherit; border: 0; background: transparent; cursor: pointer; padding: 2px 6px; width: 100%; }
td.right { background: #d9f2df; }
td.wrong { background: #fde2e2; color: var(--fail); font-weight: 700; }
.cell[aria-pressed=true] { outline: 2px solid #3b6fd1; }
dl.sent { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
dl.sent dt { color: var(--muted); }
dl.sent dd { margin: 0; }
pre { white-space: pre-wrap; margin: 0; }
@media print {
  body { background: #fff; }
  nav, .legend, .noprint { display: none; }
  main { display: block; }
  #topology { border: 0; padding: 0; overflow: visible; }
  #topology svg { max-width: 100%; }
  .panel { display: block; break-inside: avoid; border: 0; border-top: 1px solid #999; border-radius: 0; }
  a { color: inherit; text-decoration: none; }
}
`;
