// An expectation's verdict: the probe's outcome against `expect`, and every hop.
// The message explains a failure by the first hop that failed and the last hop where the
// packet was seen, which is where a learner starts looking.
import { hopPoints, type ExpectationSpec, type HopSpec } from '../labfile/schema.js';
import type { Flow, Probe, ProbeOutcome } from '../probe/probe.js';
import type { AddressBook } from '../model/address-book.js';
import type { Captured } from '../capture/session.js';
import type { TracePacket } from '../capture/nft-trace.js';
import { evaluateHop, lastSeen, type HopResult } from './hops.js';
import { judgeChains } from './chains.js';
import { judgeStates } from './states.js';

export interface ExpectationResult {
  name: string;
  passed: boolean;
  /** Set when the expectation could not run (e.g. kernel feature missing). */
  skipped?: string;
  message: string;
  /** What the probe measured (a round-trip time, a transfer), in words. */
  measured?: string;
  /** A kubectl step: the command and what it printed. */
  kubectl?: { command: string; output: string };
  hops: HopResult[];
  probe?: { argv: string[]; exitCode: number; output: string };
  durationMs: number;
  /** For the report page (report.json keeps its shape): what was sent and how it was answered. */
  sent?: { kind: Probe['kind']; flow: Flow; outcome: ProbeOutcome };
  /** A truth table, cell by cell ("." reachable, "X" blocked). */
  table?: { from: string[]; to: string[]; expected: string[][]; observed: string[][] };
}

/** What was gathered for one expectation while its probe ran: the evidence the judges read. */
export interface ProbeWindow {
  probe: Probe;
  outcome: ProbeOutcome;
  /** The probe's time window (ms since the epoch): packets outside it belong to other probes. */
  from: number;
  to: number;
  /** Traced packets per `chains` entry. */
  traces: TracePacket[][];
  /** What each `state` check printed. */
  states: string[];
}

/** The verdict of one expectation from its window and the run's captures. Pure. */
export function judgeExpectation(e: ExpectationSpec, w: ProbeWindow | undefined, captured: Captured, book: AddressBook): ExpectationResult {
  if (e.pending || !w) return { name: e.name, passed: false, skipped: `pending: ${e.pending}`, message: `pending: ${e.pending}`, hops: [], durationMs: 0 };
  const inWindow = (h: HopSpec) =>
    hopPoints(h)
      .flatMap((at) => captured.packetsAt.get(at) ?? [])
      .filter((x) => x.timeMs >= w.from && x.timeMs <= w.to);
  const hopResult = (h: HopSpec): HopResult => {
    const points = hopPoints(h);
    const where = { points, direction: h.direction };
    const bad = points.filter((at) => captured.broken.has(at));
    if (bad.length > 0)
      return { at: points.join(' | '), passed: false, seen: 0, absent: h.absent, detail: bad.map((at) => captured.broken.get(at)).join('; '), ...where };
    const r = evaluateHop(h, inWindow(h), w.probe.flow, book.resolve, book.macOf);
    // Of several capture points, the one where the packet the verdict rests on was seen.
    const seenAt = r.evidence && points.find((at) => captured.packetsAt.get(at)?.includes(r.evidence!));
    return { ...r, ...where, ...(seenAt ? { seenAt } : {}) };
  };
  const hops = [...e.hops.map(hopResult), ...judgeChains(e, w.traces), ...judgeStates(e, w.states)];
  let expected =
    e.expect.spread && !e.expect.backends ? { ...e, expect: { ...e.expect, backends: e.send?.to ? book.serviceBackends(e.send.to) : undefined } } : e;
  // Expected DNS answers may name services, pods or hosts: they stand for their addresses.
  if (expected.expect.answers) expected = { ...expected, expect: { ...expected.expect, answers: expected.expect.answers.map((a) => book.resolve(a)) } };
  const verdict = summarize(e, judgeOutcome(expected, w.outcome), hops);
  const measured = measurements(w.outcome);
  return {
    name: e.name,
    ...verdict,
    ...(measured ? { measured } : {}),
    hops,
    probe: { argv: w.probe.runs[0], exitCode: w.outcome.exitCode, output: (w.outcome.error ?? w.outcome.bodies.join('\n')).slice(0, 500) },
    durationMs: w.to - w.from,
    sent: { kind: w.probe.kind, flow: w.probe.flow, outcome: w.outcome },
  };
}

/** What a probe measured, in words (round trips, transfers), for the report. */
export function measurements(o: ProbeOutcome): string | undefined {
  if (o.transfer && !o.transfer.error) {
    const t = o.transfer;
    return `${t.bytes} bytes in ${t.seconds.toFixed(2)} s (${t.mbps} Mbit/s), ${t.retransmits} retransmission${t.retransmits === 1 ? '' : 's'}`;
  }
  if (o.rttMs !== undefined) return `an average round trip of ${o.rttMs} ms`;
  return undefined;
}

export function judgeOutcome(e: ExpectationSpec, outcome: ProbeOutcome): string[] {
  const problems: string[] = [];
  const wantReply = e.expect.reply ?? true;
  if (outcome.reply !== wantReply) {
    problems.push(
      wantReply
        ? `expected a reply, got none (${firstLine(outcome.error) || `exit ${outcome.exitCode}`})`
        : `expected no reply, but ${e.send?.ping ? 'ping' : 'the connection'} succeeded`,
    );
  }
  if (e.expect.body !== undefined && outcome.reply) {
    const allowed = Array.isArray(e.expect.body) ? e.expect.body : [e.expect.body];
    const bad = outcome.bodies.find((b) => !allowed.some((a) => b.includes(a)));
    if (bad !== undefined) problems.push(`expected the answer to contain ${allowed.map((a) => `"${a}"`).join(' or ')}, got "${bad.trim().slice(0, 80)}"`);
  }
  if (e.expect.error !== undefined && !outcome.reply && !(outcome.error ?? '').includes(e.expect.error)) {
    problems.push(`expected the error to contain "${e.expect.error}", got "${firstLine(outcome.error)}"`);
  }
  if (e.expect.status !== undefined && outcome.statuses) {
    const bad = outcome.statuses.find((st) => st !== e.expect.status);
    if (bad !== undefined) problems.push(`expected HTTP ${e.expect.status}, got ${bad}`);
  }
  if (e.expect.spread) problems.push(...judgeSpread(e.expect.spread, e.expect.backends ?? [], outcome.bodies));
  if (e.expect.shares) problems.push(...judgeShares(e.expect.shares, e.expect.tolerance, outcome.bodies));
  if (e.send?.dns && outcome.dns) problems.push(...judgeDns(e.send.dns.type, e.expect, outcome.dns));
  problems.push(...judgeRange('round-trip time', 'ms', e.expect.rttMs, outcome.rttMs));
  problems.push(...judgeRange('retransmissions', '', e.expect.retransmits, outcome.transfer?.retransmits));
  problems.push(...judgeRange('transfer time', 's', e.expect.seconds, outcome.transfer?.seconds));
  return problems;
}

/** A measured value within its bounds; a value that was not measured fails with the bound. */
export function judgeRange(what: string, unit: string, want: { min?: number; max?: number } | undefined, got: number | undefined): string[] {
  if (!want) return [];
  const bounds = [want.min !== undefined ? `at least ${want.min}${unit}` : '', want.max !== undefined ? `at most ${want.max}${unit}` : '']
    .filter(Boolean)
    .join(' and ');
  if (got === undefined) return [`expected a ${what} of ${bounds}, but none was measured`];
  const v = Number(got.toFixed(3));
  if ((want.min !== undefined && got < want.min) || (want.max !== undefined && got > want.max))
    return [`expected a ${what} of ${bounds}, measured ${v}${unit}`];
  return [];
}

/** DNS: the response code, and exactly the expected answers of the queried type. */
export function judgeDns(type: string, expect: ExpectationSpec['expect'], dns: NonNullable<ProbeOutcome['dns']>): string[] {
  const out: string[] = [];
  const shown = dns.answers.map((a) => `${a.name} ${a.type} ${a.data}`).join(', ') || 'no answers';
  if (expect.rcode !== undefined && dns.rcode !== expect.rcode) out.push(`expected ${expect.rcode}, got ${dns.rcode} (${shown})`);
  if (expect.answers !== undefined) {
    const got = dns.answers
      .filter((a) => type === 'ANY' || a.type === type)
      .map((a) => a.data)
      .sort();
    const want = [...expect.answers].sort();
    if (got.join('\n') !== want.join('\n'))
      out.push(`expected ${type} answers ${want.join(', ') || '(none)'}, got ${got.join(', ') || '(none)'} (answer section: ${shown})`);
  }
  return out;
}

/** Weighted splits (a canary): each backend's share of the answers, in percent. */
export function judgeShares(shares: Record<string, number>, tolerance: number, bodies: string[]): string[] {
  const n = bodies.length;
  if (n === 0) return ['no answers to count'];
  const out: string[] = [];
  const counts = new Map<string, number>();
  for (const b of bodies) counts.set(b.trim(), (counts.get(b.trim()) ?? 0) + 1);
  for (const [backend, want] of Object.entries(shares)) {
    const got = (100 * (counts.get(backend) ?? 0)) / n;
    if (Math.abs(got - want) > tolerance) out.push(`${backend} answered ${got.toFixed(1)}% of ${n} requests, expected ${want}% ± ${tolerance}`);
  }
  return out;
}

/** Load balancing: "every" backend answered at least once, or all answers came from "one". */
export function judgeSpread(spread: 'every' | 'one', backends: string[], bodies: string[]): string[] {
  const counts = new Map<string, number>();
  for (const b of bodies) counts.set(b.trim(), (counts.get(b.trim()) ?? 0) + 1);
  const tally = [...counts.entries()].map(([k, v]) => `${k}: ${v}`).join(', ') || 'no answers';
  const strangers = [...counts.keys()].filter((k) => backends.length > 0 && !backends.includes(k));
  const out: string[] = [];
  if (strangers.length > 0) out.push(`answers came from ${strangers.join(', ')}, which is not among ${backends.join(', ')}`);
  if (spread === 'every') {
    const missing = backends.filter((b) => !counts.has(b));
    if (missing.length > 0) out.push(`${missing.join(', ')} never answered in ${bodies.length} requests (${tally})`);
  } else if (counts.size !== 1) {
    out.push(`expected every answer from one backend (session affinity), got ${tally}`);
  }
  return out;
}

/** The line of a client's output that says what went wrong (ping prints its banner first). */
function firstLine(s: string | undefined): string {
  const lines = (s ?? '')
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /error|unreachable|packet loss|refused|timed out|timeout|couldn't|failed|too long/i.test(l)) ?? lines[0] ?? '';
}

export function summarize(e: ExpectationSpec, outcomeProblems: string[], hops: HopResult[]): { passed: boolean; message: string } {
  const failedHops = hops.filter((h) => !h.passed);
  if (outcomeProblems.length === 0 && failedHops.length === 0) {
    return { passed: true, message: `ok: ${hops.length} hop${hops.length === 1 ? '' : 's'} as expected` };
  }
  const parts = [...outcomeProblems];
  if (failedHops.length > 0) {
    const first = failedHops[0];
    const last = lastSeen(hops);
    parts.push(`hop ${first.at}: ${first.detail}`);
    parts.push(last ? `packet last seen at ${last.at}` : 'packet not seen at any capture point');
  }
  return { passed: false, message: parts.join('; ') };
}
