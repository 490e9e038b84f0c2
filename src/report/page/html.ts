// report.html: one self-contained page (style, script, SVG and data inline; a Content Security
// Policy that allows nothing from anywhere), readable offline from a shared folder. The list of
// expectations on the left, the topology with the selected one's walk, then its evidence: the
// hops with the packet's headers at each, chain paths, truth tables, DNS and HTTP answers.
import type { ExpectationResult } from '../../assert/expectation.js';
import type { HopResult } from '../../assert/hops.js';
import { globToRegExp } from '../../assert/chains.js';
import type { LabReport } from '../report.js';
import { headerLayers, sightings, type Layer } from './headers.js';
import { captureHops, type Drawing } from './walks.js';
import { PAGE_SCRIPT } from './script.js';
import { PAGE_STYLE } from './style.js';

export interface PageInput {
  report: LabReport;
  /** The full results (report.json keeps only the shape of the contract). */
  results: ExpectationResult[];
  /** The topology laid out by Graphviz. */
  svg: string;
  /** Per expectation: the walk; per truth-table cell, its drawing. */
  drawings: { drawing?: Drawing; cells?: Drawing[][] }[];
  /** Files next to report.html that the header links to. */
  files: string[];
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const status = (r: { passed: boolean; skipped?: string }) => (r.skipped ? 'skip' : r.passed ? 'pass' : 'fail');
const BADGE = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

export function renderPage(input: PageInput): string {
  const { report, results } = input;
  const passed = report.expectations.filter((e) => e.passed).length;
  const pending = report.expectations.filter((e) => e.skipped).length;
  const firstFailed = results.findIndex((r) => !r.passed && !r.skipped);
  const data = {
    lab: report.lab,
    firstFailed,
    expectations: results.map((r, i) => ({ name: r.name, status: status(r), drawing: input.drawings[i]?.drawing, cells: input.drawings[i]?.cells })),
  };
  // JSON inside <script>: "<" escaped, so no string in it can close the element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const verdict = report.skipped ? 'skip' : report.passed ? 'pass' : 'fail';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(`${report.lab}: ${verdict === 'pass' ? 'passed' : verdict === 'skip' ? 'skipped' : 'failed'} — wirelab`)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <h1>${esc(report.lab)} <span class="verdict ${verdict}">${report.skipped ? 'SKIPPED' : report.passed ? 'PASSED' : 'FAILED'}</span></h1>
  <p>${report.skipped ? esc(report.skipped) : `${passed}/${report.expectations.length - pending} expectations passed${pending ? `, ${pending} pending` : ''} in ${(report.durationMs / 1000).toFixed(1)} s`}</p>
  ${(report.warnings ?? []).map((w) => `<p class="warning">⚠ ${esc(w)}</p>`).join('')}
  <p class="files noprint">${input.files.map((f) => `<a href="${esc(f)}">${esc(f)}</a>`).join('')}</p>
</header>
<main>
<nav aria-label="Expectations">
  <h2 id="expectations-label">Expectations</h2>
  <ul id="expectations" role="listbox" aria-labelledby="expectations-label">
${results.map((r, i) => `    <li role="option" id="opt-${i + 1}" class="${status(r)}" aria-selected="false" tabindex="-1" aria-controls="panel-${i + 1}"><span class="badge">${BADGE[status(r)]}</span><span>${esc(r.name)}</span></li>`).join('\n')}
  </ul>
</nav>
<div class="content">
  <section id="topology" aria-label="Topology">
${input.svg}
  </section>
  <p class="legend"><span><span class="dot" style="background:#1f8a3b"></span>hop passed</span><span><span class="dot" style="background:#c62828"></span>hop failed / last seen</span><span><span class="dot" style="border:2px dashed #c62828"></span>expected, not seen</span><span><span class="dot" style="background:#7a8794"></span>absent, as expected</span><span>↩ reply</span><span>Keys: ↑ ↓ choose an expectation</span></p>
${results.map((r, i) => renderPanel(r, i)).join('\n')}
</div>
</main>
<script type="application/json" id="wirelab-data">${json}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function renderPanel(r: ExpectationResult, i: number): string {
  const st = status(r);
  const parts = [
    `<section class="panel ${st}" id="panel-${i + 1}" aria-labelledby="opt-${i + 1}">`,
    `<h3><span class="badge">${BADGE[st]}</span> ${esc(r.name)}</h3>`,
    `<p class="message">${esc(r.skipped ?? r.message)}</p>`,
  ];
  if (r.measured) parts.push(`<p>Measured: ${esc(r.measured)}</p>`);
  if (r.sent) parts.push(renderSent(r));
  const hops = captureHops(r);
  if (hops.length > 0) parts.push(renderHops(hops));
  const checks = r.hops.filter((h) => h.chain && !r.table);
  if (checks.length > 0) parts.push(`<h4>Chains and state</h4>${checks.map(renderCheck).join('')}`);
  if (r.table) parts.push(renderTruthTable(r));
  parts.push('</section>');
  return parts.join('\n');
}

/** What the probe sent, and its answer: HTTP status lines, DNS answers, the client's output. */
function renderSent(r: ExpectationResult): string {
  const { kind, flow, outcome } = r.sent!;
  const rows: [string, string][] = [
    ['sent', `${kind} ${flow.protocol.toUpperCase()} ${flow.src} → ${flow.dst}${flow.dstPort ? `:${flow.dstPort}` : ''}`],
    ['command', `<code>${esc(commandLine(r.probe?.argv ?? []))}</code>`],
  ];
  if (outcome.statuses && outcome.statuses.length > 0) {
    const counts = new Map<number, number>();
    for (const s of outcome.statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    rows.push(['HTTP', [...counts].map(([s, n]) => `HTTP ${s}${n > 1 ? ` × ${n}` : ''}`).join(', ')]);
  }
  if (outcome.dns) {
    const answers = outcome.dns.answers.map((a) => `${esc(a.name)} ${esc(a.type)} <b>${esc(a.data)}</b>`).join('<br>') || '(no answers)';
    rows.push(['DNS', `${esc(outcome.dns.rcode)}<br>${answers}`]);
  }
  if (outcome.bodies.length > 0 && kind !== 'dns') rows.push(['answers', `<pre>${esc(summarizeBodies(outcome.bodies))}</pre>`]);
  if (outcome.error) rows.push(['error', `<pre>${esc(outcome.error.slice(0, 400))}</pre>`]);
  return `<dl class="sent">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'sent' ? esc(v) : v}</dd>`).join('')}</dl>`;
}

/** A command line with a repeated argument (a URL asked 40 times) said once, with its count. */
export function commandLine(argv: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length;) {
    let n = 1;
    while (argv[i + n] === argv[i]) n++;
    out.push(n > 2 ? `${argv[i]} (× ${n})` : argv.slice(i, i + n).join(' '));
    i += n;
  }
  return out.join(' ');
}

function summarizeBodies(bodies: string[]): string {
  const counts = new Map<string, number>();
  for (const b of bodies) counts.set(b.trim(), (counts.get(b.trim()) ?? 0) + 1);
  return [...counts]
    .slice(0, 8)
    .map(([b, n]) => `${b.slice(0, 120)}${n > 1 ? `  × ${n}` : ''}`)
    .join('\n');
}

/** Each hop: where, the verdict, and the packet there with what changed since the last hop. */
function renderHops(hops: { hop: HopResult; n: number }[]): string {
  const seen = sightings(hops.map((x) => x.hop));
  const rows = hops.map(({ hop, n }, i) => {
    let packet = '';
    const s = seen[i];
    if (hop.evidence && s) {
      const notes = [
        s.rewrite.label ? `<span class="nat">${esc(s.rewrite.label)}</span>` : '',
        s.encapsulated ? '<span class="nat">encapsulated</span>' : '',
        s.decapsulated ? '<span class="nat">decapsulated</span>' : '',
      ].join('');
      packet = `${notes}${renderLayers(headerLayers(hop.evidence.frame, s.rewrite.changed))}`;
    }
    const where = hop.seenAt && hop.points && hop.points.length > 1 ? `${hop.seenAt} <span class="muted">(one of ${hop.points.length})</span>` : esc(hop.at);
    return `<tr data-point="${esc(hop.seenAt ?? hop.points![0])}"><td class="n">${hop.direction === 'reply' ? '↩' : ''}${n}</td><td class="${hop.passed ? 'ok' : 'ko'}">${hop.passed ? '✓' : '✗'}</td><td><span class="at">${where}</span>${hop.absent ? ' <em>must not see the packet</em>' : ''}${hop.direction === 'reply' ? ' <em>reply</em>' : ''}<div class="mono">${esc(hop.detail)}</div>${packet}</td></tr>`;
  });
  return `<table class="hops"><tbody>${rows.join('')}</tbody></table>`;
}

function renderLayers(layers: Layer[]): string {
  return `<div class="layers">${layers
    .map(
      (l) =>
        `<span class="layer${l.title.includes('(inner)') ? ' inner' : ''}"><b>${esc(l.title)}</b>${l.fields.map((f) => `${esc(f.name)} ${f.changed ? `<mark>${esc(f.value)}</mark>` : esc(f.value)}`).join(' · ')}</span>`,
    )
    .join('')}</div>`;
}

/** A chain path: the chains traversed, those the lab file expects in bold green, a missing one red. */
function renderCheck(h: HopResult): string {
  const mark = `<span class="${h.passed ? 'ok' : 'ko'}">${h.passed ? '✓' : '✗'}</span>`;
  if (!h.trace) return `<p>${mark} <span class="at">${esc(h.at)}</span> <span class="mono">${esc(h.detail)}</span></p>`;
  const want = h.trace.expected.map(globToRegExp);
  let k = 0;
  const chips = h.trace.actual.map((c) => {
    const hit = k < want.length && want[k].test(c);
    if (hit) k++;
    return `<span class="chain${hit ? ' hit' : ''}">${esc(c)}</span>`;
  });
  const missing = h.trace.expected.slice(k).map((c) => `<span class="chain want">${esc(c)}?</span>`);
  return `<p>${mark} <span class="at">${esc(h.trace.node)}${h.trace.table ? ` ${esc(h.trace.table)}` : ''}</span>: ${[...chips, ...missing].join(' → ') || '(no chain traced)'}</p><p class="mono">${esc(h.detail)}</p>`;
}

function renderTruthTable(r: ExpectationResult): string {
  const t = r.table!;
  const head = `<tr><th></th>${t.to.map((x) => `<th scope="col">${esc(x)}</th>`).join('')}</tr>`;
  const rows = t.from.map(
    (f, i) =>
      `<tr><th scope="row">${esc(f)}</th>${t.to
        .map((to, j) => {
          const got = t.observed[i][j];
          const want = t.expected[i][j];
          const right = got === want;
          const words = `${f} → ${to}: ${got === '.' ? 'reachable' : 'blocked'}${right ? '' : `, expected ${want === '.' ? 'reachable' : 'blocked'}`}`;
          return `<td class="${right ? 'right' : 'wrong'}"><button class="cell" data-cell="${i},${j}" aria-pressed="false" title="${esc(words)}" aria-label="${esc(words)}">${got === '.' ? '✓' : '✗'}${right ? '' : ` (want ${want === '.' ? '✓' : '✗'})`}</button></td>`;
        })
        .join('')}</tr>`,
  );
  const drops = r.hops.find((h) => h.at === 'dropped by');
  return `<h4>Truth table <small>(✓ reachable, ✗ blocked; green as written in the lab file, red where not; pick a cell to draw it)</small></h4><table class="truth">${head}${rows.join('')}</table>${drops ? `<p class="mono">dropped by: ${esc(drops.detail)}</p>` : ''}`;
}
