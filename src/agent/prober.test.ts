// The prober's failure words are kubelet's (Go's net errors), checked against real refusals on
// this machine's loopback: what `kubectl describe pod` shows in the Unhealthy event.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runProbe, type ProbeTarget } from './prober.js';
import type { Probe } from '../k8s/probe.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const target: ProbeTarget = {
  lab: 't',
  netns: 'unused',
  pod: 'p',
  podIP: '127.0.0.1',
  container: { name: 'c', ports: [] } as unknown as ProbeTarget['container'],
};
const probe = (handler: Probe['handler']): Probe => ({ handler, timeoutSeconds: 1 }) as Probe;

describe('probe failures in kubelet words', () => {
  it('tcpSocket: dial tcp <ip>:<port>: connect: connection refused', async () => {
    const port = await closedPort();
    expect(await runProbe(target, probe({ tcpSocket: { port } } as Probe['handler']))).toEqual({
      result: 'failure',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });

  it('httpGet: Get "<url>": dial tcp ...: connect: connection refused', async () => {
    const port = await closedPort();
    const r = await runProbe(target, probe({ httpGet: { port, path: '/healthz', scheme: 'HTTP', headers: [] } } as unknown as Probe['handler']));
    expect(r).toEqual({ result: 'failure', output: `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused` });
  });
});
