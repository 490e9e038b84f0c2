// Running a lab's expectations against a lab that is up: captures on every capture point for
// the whole run (one pcap per point, the --out contract), probes one expectation at a time
// (each in its own time window), then hop assertions, outcome checks and chain traces.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExpectationSpec, HopSpec } from '../labfile/schema.js';
import type { ClusterModel } from '../model/types.js';
import { labStateDir, netnsName } from '../model/names.js';
import { addressBook } from '../model/address-book.js';
import { run } from '../kernel/exec.js';
import { startCapture, type RunningCapture } from '../kernel/capture.js';
import { tcpdumpArgv, pcapFileName } from '../capture/tcpdump.js';
import { readPcapFile, type CapturedPacket } from '../capture/pcap.js';
import { buildProbe, readOutcome, type Probe, type ProbeOutcome } from '../probe/probe.js';
import { evaluateHop, type HopResult } from '../assert/hops.js';
import { startTrace } from '../kernel/trace.js';
import { birdSocketPath } from '../plan/cni/calico-bgp.js';
import { caFileFor } from '../plan/ingress/controller.js';
import { chainPath, matchChainPath, type TracePacket } from '../capture/nft-trace.js';
import { judgeOutcome, summarize, type ExpectationResult } from '../assert/expectation.js';

interface CapturePoint {
  at: string;
  where: string;
  iface: string;
  netns: string;
}

export function hopPoints(h: HopSpec): string[] {
  return Array.isArray(h.at) ? h.at : [h.at];
}

export interface RunHooks {
  onExpectation?: (e: ExpectationSpec, index: number) => void;
  checkInterrupted: () => void;
}

interface Window {
  probe: Probe;
  outcome: ProbeOutcome;
  from: number;
  to: number;
  traces: TracePacket[][];
  /** Output of each state check (`ip route`, BIRD's `show protocols`), after the probe. */
  states: string[];
}

/** The command behind a state check: fixed argv, no user input in it. */
function stateArgv(lab: string, node: string, show: 'routes' | 'bgp'): { argv: string[]; netns?: string } {
  if (show === 'routes') return { argv: ['ip', '-n', netnsName(lab, node), 'route', 'show'] };
  return { argv: ['birdc', '-s', `${labStateDir(lab)}/${birdSocketPath(node)}`, 'show', 'protocols'] };
}

export function judgeStates(e: ExpectationSpec, outputs: string[]): HopResult[] {
  return e.state.map((c, k) => {
    const out = outputs[k] ?? '';
    const missing = c.contains.filter((x) => !out.includes(x));
    const unwanted = c.lacks.filter((x) => out.includes(x));
    const at = `${c.node} ${c.show === 'routes' ? 'routes' : 'BGP sessions'}`;
    const passed = missing.length === 0 && unwanted.length === 0;
    const shown = out.trim().split('\n').filter((l) => l.trim()).slice(0, 8).join(' | ');
    const detail = passed
      ? `${[...c.contains.map((x) => `has "${x}"`), ...c.lacks.map((x) => `lacks "${x}"`)].join(', ')}`
      : `${[...missing.map((x) => `missing "${x}"`), ...unwanted.map((x) => `unexpected "${x}"`)].join(', ')} in: ${shown}`;
    return { at, chain: true, passed, seen: passed ? 1 : 0, absent: false, detail };
  });
}

/** Chain-traversal check: the first traced packet of the flow whose path contains the expected
 * chains in order passes; otherwise the detail shows the path of the first traced packet. */
export function judgeChains(e: ExpectationSpec, traces: TracePacket[][]): HopResult[] {
  return e.chains.map((c, k) => {
    const packets = traces[k] ?? [];
    const at = `${c.node} ${c.table} chains`;
    if (packets.length === 0) return { at, chain: true, passed: false, seen: 0, absent: false, detail: `no packet of the flow was traced on ${c.node}` };
    const paths = packets.map((p) => chainPath(p, c.table)).filter((x) => x.length > 0);
    const verdicts = paths.map((path) => matchChainPath(path, c.path));
    const ok = verdicts.find((v) => v.ok);
    return { at, chain: true, passed: !!ok, seen: packets.length, absent: false, detail: (ok ?? verdicts[0] ?? { detail: 'no chain of that table was traversed' }).detail };
  });
}

/** After a probe, late packets of its flow (the last ACK, a FIN) still belong to its window. */
const SETTLE_MS = 150;

export async function runExpectations(model: ClusterModel, expectations: ExpectationSpec[], pcapDirOrUndefined: string | undefined, hooks: RunHooks): Promise<ExpectationResult[]> {
  const lab = model.lab;
  const book = addressBook(model);
  const points = new Map<string, CapturePoint>();
  for (const e of expectations) for (const h of e.hops) for (const at of hopPoints(h)) {
    const [where, iface] = at.split('/');
    points.set(at, { at, where, iface, netns: netnsName(lab, where) });
  }
  const pcapDir = pcapDirOrUndefined ?? join(labStateDir(lab), 'pcaps');
  await rm(pcapDir, { recursive: true, force: true });
  await mkdir(pcapDir, { recursive: true });

  const captures: RunningCapture[] = [];
  /** Capture points that could not be captured (e.g. the interface was deleted): their hops
   * fail with the reason instead of the whole run failing. */
  const broken = new Map<string, string>();
  const windows: Window[] = [];
  try {
    // Every capture is listening before the first packet is sent.
    const list = [...points.values()];
    const started = await Promise.allSettled(list.map((pt) => startCapture(lab, pt.netns, pt.iface, tcpdumpArgv(pt.iface), join(pcapDir, pcapFileName(pt.where, pt.iface)))));
    started.forEach((r, k) => {
      if (r.status === 'fulfilled') captures.push(r.value);
      else broken.set(list[k].at, (r.reason as Error).message.split('\n')[0]);
    });
    for (const [i, e] of expectations.entries()) {
      hooks.checkInterrupted();
      hooks.onExpectation?.(e, i);
      if (e.pending) {
        windows.push(undefined as unknown as Window);
        continue;
      }
      const to = e.send.to ?? e.send.dns?.server;
      const port = e.send.http?.port ?? e.send.tcp?.port ?? (to ? book.servicePort(to) : undefined);
      // A DNS query without a server goes where the sender's resolv.conf points.
      const dst = to ? book.resolve(to) : book.resolverOf(e.send.from);
      // Traffic to a loopback address leaves from the loopback address, inside the sender.
      const src = dst.startsWith('127.') ? '127.0.0.1' : book.resolve(e.send.from);
      // HTTPS is verified against the certificate generated for the host (self-signed: it is its
      // own CA), so a certificate that does not name the host fails the request.
      const host = e.send.http?.host;
      const caFile = host ? caFileFor(model, host) : undefined;
      const probe = buildProbe(e.send, src, dst, port, caFile);
      // nft traces of the request on each node the expectation names, marked by its source.
      const traces = await Promise.all(e.chains.map((c) => startTrace(netnsName(lab, c.node), { src: probe.flow.src, protocol: probe.flow.protocol })));
      const from = Date.now();
      const results = [];
      let traced: TracePacket[][] = [];
      try {
        for (const argv of probe.runs) results.push(await run(argv, { netns: netnsName(lab, book.senderNamespace(e.send.from)), allowFailure: true, timeoutMs: probe.timeoutMs }));
        await new Promise((res) => setTimeout(res, SETTLE_MS));
      } finally {
        traced = await Promise.all(traces.map((t) => t.stop()));
      }
      const states: string[] = [];
      for (const c of e.state) {
        const cmd = stateArgv(lab, c.node, c.show);
        const r = await run(cmd.argv, { allowFailure: true, timeoutMs: 5000 });
        states.push(r.exitCode === 0 ? r.stdout : `(failed: ${r.stderr.trim() || r.stdout.trim()})`);
      }
      windows.push({ probe, outcome: readOutcome(probe, results), from: from - 5, to: Date.now(), traces: traced, states });
    }
  } finally {
    await Promise.all(captures.map((c) => c.stop()));
  }

  const packetsAt = new Map<string, CapturedPacket[]>();
  for (const pt of points.values()) if (!broken.has(pt.at)) packetsAt.set(pt.at, await readPcapFile(join(pcapDir, pcapFileName(pt.where, pt.iface))));

  return expectations.map((e, i) => {
    const w = windows[i];
    if (e.pending) return { name: e.name, passed: false, skipped: `pending: ${e.pending}`, message: `pending: ${e.pending}`, hops: [], durationMs: 0 };
    const inWindow = (h: HopSpec) => hopPoints(h).flatMap((at) => packetsAt.get(at) ?? []).filter((x) => x.timeMs >= w.from && x.timeMs <= w.to);
    const hopResult = (h: HopSpec): HopResult => {
      const bad = hopPoints(h).filter((at) => broken.has(at));
      if (bad.length > 0) return { at: hopPoints(h).join(' | '), passed: false, seen: 0, absent: h.absent, detail: bad.map((at) => broken.get(at)).join('; ') };
      return evaluateHop(h, inWindow(h), w.probe.flow, book.resolve, book.macOf);
    };
    const hops = [...e.hops.map(hopResult), ...judgeChains(e, w.traces), ...judgeStates(e, w.states)];
    let expected = e.expect.spread && !e.expect.backends ? { ...e, expect: { ...e.expect, backends: e.send.to ? book.serviceBackends(e.send.to) : undefined } } : e;
    // Expected DNS answers may name services, pods or hosts: they stand for their addresses.
    if (expected.expect.answers) expected = { ...expected, expect: { ...expected.expect, answers: expected.expect.answers.map((a) => book.resolve(a)) } };
    const expectWithBackends = expected;
    const verdict = summarize(e, judgeOutcome(expectWithBackends, w.outcome), hops);
    return {
      name: e.name,
      ...verdict,
      hops,
      probe: { argv: w.probe.runs[0], exitCode: w.outcome.exitCode, output: (w.outcome.error ?? w.outcome.bodies.join('\n')).slice(0, 500) },
      durationMs: w.to - w.from,
    };
  });
}
