// Readiness probes of the kinds the pod-not-ready exercise does not use, run by the node agent
// as kubelet's prober does (pkg/probe/tcp and pkg/probe/exec, v1.34.2): a tcpSocket probe to a
// port nothing listens on keeps the replicas out of web-service (and says why in an Unhealthy
// event), to nginx's port makes them Ready; an exec probe runs its command inside the pod, so a
// curl to 127.0.0.1 reaches the pod's own nginx: a path nginx answers with 404 keeps them not
// Ready, `/` makes them Ready.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { endpointReadiness, guardLeftovers, lab, ROOT, waitFor } from './helpers.js';

guardLeftovers('wirelab-readiness-');
const LAB = 'readiness';
const FILE = join(ROOT, 'exercises/labs/readiness.yaml');

async function kubectl(...args: string[]): Promise<string> {
  const r = await lab(['kubectl', LAB, '--', ...args]);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Replaces the web Deployment's readinessProbe (its pods are replaced: strategy Recreate). */
const setProbe = (probe: object) =>
  kubectl(
    'patch',
    'deployment',
    'web',
    '--type=json',
    '-p',
    JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/readinessProbe', value: { periodSeconds: 1, failureThreshold: 1, ...probe } }]),
  );

/** READY column of the web replicas that are not being deleted. */
async function readiness(): Promise<string[]> {
  const out = await kubectl(
    'get',
    'pods',
    '-l',
    'app=web',
    '-o',
    'jsonpath={range .items[*]}{.metadata.deletionTimestamp}|{.status.containerStatuses[0].ready}{"\\n"}{end}',
  );
  return out
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1));
}

/** The web replicas of the current template: two, each ready or not as `ready` says, and the
 * EndpointSlice agreeing. */
async function settle(ready: boolean, what: string): Promise<void> {
  const want = String(ready);
  await waitFor(async () => (await readiness()).join() === [want, want].join(), 60_000, what);
  await waitFor(
    async () => (await endpointReadiness(LAB, 'web-service')).join() === [want, want].join(),
    30_000,
    `web-service's endpoints to be ${ready ? '' : 'not '}ready`,
  );
}

/** Not ready a few probe periods later too: a new container is not ready until its first passed
 * probe, so "not ready" right after the change would prove nothing. */
async function stillNotReady(): Promise<void> {
  await new Promise((r) => setTimeout(r, 4000));
  expect(await readiness()).toEqual(['false', 'false']);
}

const unhealthy = () => kubectl('get', 'events', '--field-selector', 'reason=Unhealthy', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}');

describe('readiness probes: tcpSocket and exec', () => {
  it('tcpSocket to a closed port keeps the replicas out of the Service, to nginx makes them Ready; exec runs in the pod', async () => {
    expect((await lab(['up', FILE], 180_000)).code).toBe(0);
    try {
      await settle(true, 'the httpGet-probed replicas to be Ready');

      await setProbe({ tcpSocket: { port: 81 } });
      await settle(false, 'replicas probed on a closed port to be not ready');
      await waitFor(
        async () => /Readiness probe failed: dial tcp 10\.244\.\d+\.\d+:81: connect: connection refused/.test(await unhealthy()),
        20_000,
        'the tcp probe failure event',
      );
      await stillNotReady();

      await setProbe({ tcpSocket: { port: 'http' } });
      await settle(true, 'replicas probed on port http to be Ready');

      await setProbe({ exec: { command: ['curl', '-sf', '-o', '/dev/null', 'http://127.0.0.1/healthz'] } });
      await settle(false, 'replicas whose exec probe gets a 404 to be not ready');
      await stillNotReady();
      await setProbe({ exec: { command: ['curl', '-sf', '-o', '/dev/null', 'http://127.0.0.1/'] } });
      await settle(true, "replicas whose exec probe reaches the pod's own nginx to be Ready");
    } finally {
      expect((await lab(['down', LAB])).code).toBe(0);
    }
  }, 300_000);
});
