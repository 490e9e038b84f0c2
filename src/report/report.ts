// The run's report: report.json (the --out contract), the terminal table, JUnit XML.
import type { ExpectationResult } from '../assert/expectation.js';

export interface LabReport {
  lab: string;
  passed: boolean;
  /** Set when the whole lab was skipped (e.g. "kernel lacks CONFIG_IP_VS"). */
  skipped?: string;
  durationMs: number;
  /** What the lab file asks for that this cluster does not do (e.g. unenforced policies). */
  warnings?: string[];
  expectations: {
    name: string;
    passed: boolean;
    skipped?: string;
    message: string;
    /** What the probe measured (round-trip time, transfer), when it measures anything. */
    measured?: string;
    /** A kubectl step: the command and what it printed (stdout, then stderr). */
    kubectl?: { command: string; output: string };
    hops: { at: string; passed: boolean; detail: string }[];
  }[];
}

export function buildReport(lab: string, results: ExpectationResult[], durationMs: number, skipped?: string): LabReport {
  return {
    lab,
    passed: !skipped && results.every((r) => r.passed || r.skipped !== undefined),
    ...(skipped ? { skipped } : {}),
    durationMs: Math.round(durationMs),
    expectations: results.map((r) => ({
      name: r.name,
      passed: r.passed,
      ...(r.skipped ? { skipped: r.skipped } : {}),
      message: r.message,
      ...(r.measured ? { measured: r.measured } : {}),
      ...(r.kubectl ? { kubectl: r.kubectl } : {}),
      hops: r.hops.map((h) => ({ at: h.at, passed: h.passed, detail: h.detail })),
    })),
  };
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(report: LabReport): string {
  const failures = report.expectations.filter((e) => !e.passed && !e.skipped).length;
  const skipped = report.expectations.filter((e) => e.skipped).length;
  const cases = report.expectations.map((e) => {
    const body = e.skipped
      ? `<skipped message="${xml(e.skipped)}"/>`
      : e.passed
        ? ''
        : `<failure message="${xml(e.message)}">${xml(e.hops.map((h) => `${h.passed ? 'ok  ' : 'FAIL'} ${h.at}: ${h.detail}`).join('\n'))}</failure>`;
    return `    <testcase classname="wirelab.${xml(report.lab)}" name="${xml(e.name)}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="wirelab" tests="${report.expectations.length}" failures="${failures}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.lab)}" tests="${report.expectations.length}" failures="${failures}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The pass/fail table printed at the end of `lab run` and `lab test`. */
export function renderTable(report: LabReport, color: boolean): string {
  const c = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  if (report.skipped) {
    lines.push(`${c(33, 'SKIP')}  ${report.lab}: ${report.skipped}`);
    return lines.join('\n') + '\n';
  }
  const width = Math.min(70, Math.max(...report.expectations.map((e) => e.name.length), 10));
  for (const e of report.expectations) {
    const mark = e.skipped ? c(33, 'SKIP') : e.passed ? c(32, 'PASS') : c(31, 'FAIL');
    lines.push(`${mark}  ${e.name.padEnd(width)}`);
    for (const h of e.hops) lines.push(`        ${h.passed ? c(32, '✓') : c(31, '✗')} ${h.at.padEnd(18)} ${h.detail}`);
    if (e.measured) lines.push(`        = measured ${e.measured}`);
    // A kubectl step reads like the transcript it comes from: the command, then its output.
    if (e.kubectl && e.passed) {
      lines.push(`        ${c(2, `$ ${e.kubectl.command}`)}`);
      for (const l of e.kubectl.output.split('\n').slice(0, 25)) lines.push(`        ${c(2, l)}`);
    }
    if (!e.passed) lines.push(`        ${c(31, '→')} ${e.skipped ?? e.message}`);
  }
  for (const w of report.warnings ?? []) lines.push(`${c(33, 'WARN')}  ${w}`);
  const passed = report.expectations.filter((e) => e.passed).length;
  const pending = report.expectations.filter((e) => e.skipped).length;
  lines.push(
    '',
    `${report.passed ? c(32, 'PASSED') : c(31, 'FAILED')}  ${report.lab}: ${passed}/${report.expectations.length - pending} expectations passed${pending ? `, ${pending} pending` : ''} in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n') + '\n';
}

/** The report of a lab that was skipped as a whole (e.g. "kernel lacks CONFIG_IP_VS"). */
export function skippedReport(lab: string, expectationNames: string[], reason: string): LabReport {
  const skipped = expectationNames.map((name): ExpectationResult => ({
    name,
    passed: false,
    skipped: `skipped: ${reason}`,
    message: `skipped: ${reason}`,
    hops: [],
    durationMs: 0,
  }));
  return buildReport(lab, skipped, 0, `skipped: ${reason}`);
}
