// kubelet's readiness prober for one container, as pure decisions (pkg/kubelet/prober/worker.go
// at v1.34.2): a probe on every tick of periodSeconds from the container's start, none while
// initialDelaySeconds have not passed; the result only counts once it repeated successThreshold
// (success) or failureThreshold (failure) times in a row; until the first counted success a
// readiness worker reports Failure (its initialValue), so a new container is not ready. A
// prober error (a named port the container does not have) is thrown away, as kubelet does.
import type { Probe } from '../k8s/probe.js';

export type ProbeOutcome = { result: 'success' } | { result: 'failure'; output: string } | { result: 'error'; output: string };

export interface ProbeWorker {
  probe: Probe;
  /** When the container started (ms): the ticks and the initial delay count from here. */
  startedAtMs: number;
  /** The next tick (ms). */
  nextAtMs: number;
  lastResult?: 'success' | 'failure';
  resultRun: number;
  /** What the results manager holds: the container's readiness. */
  ready: boolean;
}

export function newProbeWorker(probe: Probe, startedAtMs: number): ProbeWorker {
  // worker.go run(): doProbe runs at once, then on every tick.
  return { probe, startedAtMs, nextAtMs: startedAtMs, resultRun: 0, ready: false };
}

/** Whether a tick is due at `nowMs`, and whether it probes (the initial delay is over). A tick
 * missed (the agent was busy) is not made up: the next one is a period after this one. */
export function tick(w: ProbeWorker, nowMs: number): { worker: ProbeWorker; probe: boolean } | undefined {
  if (nowMs < w.nextAtMs) return undefined;
  const period = w.probe.periodSeconds * 1000;
  const nextAtMs = w.nextAtMs + Math.max(1, Math.ceil((nowMs - w.nextAtMs + 1) / period)) * period;
  // worker.go: int32(time.Since(StartedAt).Seconds()) < InitialDelaySeconds skips the probe.
  const probe = Math.floor((nowMs - w.startedAtMs) / 1000) >= w.probe.initialDelaySeconds;
  return { worker: { ...w, nextAtMs }, probe };
}

/** A probe's outcome counted; `changed` when the container's readiness flipped. */
export function record(w: ProbeWorker, o: ProbeOutcome): { worker: ProbeWorker; changed: boolean } {
  if (o.result === 'error') return { worker: w, changed: false };
  const resultRun = w.lastResult === o.result ? w.resultRun + 1 : 1;
  const next: ProbeWorker = { ...w, lastResult: o.result, resultRun };
  const threshold = o.result === 'failure' ? w.probe.failureThreshold : w.probe.successThreshold;
  if (resultRun < threshold) return { worker: next, changed: false };
  const ready = o.result === 'success';
  return { worker: { ...next, ready }, changed: ready !== w.ready };
}

/** The pkg/probe/http verdict on a response status: 2xx and 3xx succeed (http.go: a redirect
 * kubelet does not follow, to another host, is a success with a warning). */
export function httpVerdict(status: number): ProbeOutcome {
  return status >= 200 && status < 400 ? { result: 'success' } : { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
}
