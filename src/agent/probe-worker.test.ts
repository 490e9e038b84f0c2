import { describe, expect, it } from 'vitest';
import { httpVerdict, newProbeWorker, record, tick, type ProbeWorker } from './probe-worker.js';
import type { Probe } from '../k8s/probe.js';
import { parseProbe, resolveProbePort } from '../k8s/probe.js';

const probe = (p: Partial<Probe> = {}): Probe => ({
  handler: { tcpSocket: { port: 80 } },
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
  ...p,
});
const ok = { result: 'success' } as const;
const bad = { result: 'failure', output: 'HTTP probe failed with statuscode: 404' } as const;

/** Feeds outcomes in order; returns the readiness after each. */
function run(w: ProbeWorker, outcomes: { result: 'success' | 'failure' | 'error'; output?: string }[]): boolean[] {
  return outcomes.map((o) => (w = record(w, o as never).worker).ready);
}

describe('readiness probe worker (pkg/kubelet/prober/worker.go)', () => {
  it('a new container is not ready until its first success (the readiness initialValue is Failure)', () => {
    const w = newProbeWorker(probe(), 0);
    expect(w.ready).toBe(false);
    expect(record(w, ok)).toMatchObject({ worker: { ready: true }, changed: true });
  });

  it('counts a result only after successThreshold or failureThreshold in a row', () => {
    expect(run(newProbeWorker(probe({ successThreshold: 2, failureThreshold: 3 }), 0), [ok, ok, bad, bad, ok, bad, bad, bad, ok, ok])).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
  });

  it('throws a prober error away: it neither counts nor breaks a run', () => {
    const w = record(record(newProbeWorker(probe({ failureThreshold: 2 }), 0), ok).worker, bad).worker;
    const after = record(w, { result: 'error', output: 'no port named "http"' });
    expect(after).toEqual({ worker: w, changed: false });
    expect(record(after.worker, bad)).toMatchObject({ worker: { ready: false }, changed: true });
  });

  it('probes at once, then every periodSeconds; not before initialDelaySeconds', () => {
    let w = newProbeWorker(probe({ periodSeconds: 2, initialDelaySeconds: 3 }), 1000);
    expect(tick(w, 999)).toBeUndefined();
    const first = tick(w, 1000)!;
    expect(first.probe).toBe(false); // 0 s after start < 3 s
    w = first.worker;
    expect(w.nextAtMs).toBe(3000);
    expect(tick(w, 2999)).toBeUndefined();
    const second = tick(w, 3000)!; // 2 s < 3 s
    expect(second.probe).toBe(false);
    const third = tick(second.worker, 5000)!; // 4 s
    expect(third.probe).toBe(true);
    expect(third.worker.nextAtMs).toBe(7000);
  });

  it('a late tick does not make up the ones it missed', () => {
    const w = { ...newProbeWorker(probe({ periodSeconds: 2 }), 0), nextAtMs: 2000 };
    expect(tick(w, 7500)!.worker.nextAtMs).toBe(8000);
  });

  it('HTTP: 200-399 succeed, anything else fails with the status (pkg/probe/http/http.go)', () => {
    expect(httpVerdict(200)).toEqual(ok);
    expect(httpVerdict(302)).toEqual(ok);
    expect(httpVerdict(404)).toEqual(bad);
    expect(httpVerdict(500)).toMatchObject({ result: 'failure' });
  });
});

describe('readinessProbe as the API server defaults it', () => {
  it('fills in SetDefaults_Probe and the HTTPGetAction defaults', () => {
    expect(parseProbe({ httpGet: { port: 8080 } })).toEqual({
      handler: { httpGet: { path: '/', port: 8080, scheme: 'HTTP', headers: [] } },
      initialDelaySeconds: 0,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(parseProbe({ tcpSocket: { port: 'http' }, periodSeconds: 2, failureThreshold: 1, initialDelaySeconds: 5 })).toMatchObject({
      handler: { tcpSocket: { port: 'http' } },
      periodSeconds: 2,
      failureThreshold: 1,
      initialDelaySeconds: 5,
    });
    expect(parseProbe({ exec: { command: ['cat', '/tmp/ready'] } })).toMatchObject({ handler: { exec: { command: ['cat', '/tmp/ready'] } } });
    expect(parseProbe(undefined)).toBeUndefined();
    expect(parseProbe({ grpc: { port: 9000 } })).toBeUndefined();
  });

  it('resolves a named port first, then a number written as text (pkg/probe/util.go)', () => {
    const ports = [
      { name: 'http', containerPort: 8080 },
      { name: '81', containerPort: 9000 },
    ];
    expect(resolveProbePort('http', ports)).toBe(8080);
    expect(resolveProbePort('81', ports)).toBe(9000);
    expect(resolveProbePort('82', ports)).toBe(82);
    expect(resolveProbePort('web', ports)).toBeUndefined();
    expect(resolveProbePort(70000, ports)).toBeUndefined();
  });
});
