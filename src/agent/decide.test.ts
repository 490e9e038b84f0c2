// The node agents' reconcile decisions, desired against actual, as pure functions.
import { describe, expect, it } from 'vitest';
import { nodeObject, nodeStatus, peerChanges, podActions, podStatus } from './decide.js';
import type { Node } from '../model/types.js';

const node = (name: string, ip: string, podCIDR: string): Node => ({ name, ip, podCIDR, role: 'worker', podCIDRSource: 'allocated' });

describe('peerChanges (flanneld subnet events)', () => {
  it('adds every other node with a range, never itself or a node still without one', () => {
    const r = peerChanges(new Map(), [node('w1', '10.0.0.1', '10.8.0.0/24'), node('w2', '10.0.0.2', '10.8.1.0/24'), node('w3', '10.0.0.3', '')], 'w1');
    expect(r.add.map((n) => n.name)).toEqual(['w2']);
    expect(r.remove).toEqual([]);
  });

  it('removes a node that is gone, and replaces one whose address or range changed', () => {
    const applied = new Map([
      ['w2', { name: 'w2', ip: '10.0.0.2', podCIDR: '10.8.1.0/24' }],
      ['w3', { name: 'w3', ip: '10.0.0.3', podCIDR: '10.8.2.0/24' }],
    ]);
    const r = peerChanges(applied, [node('w1', '10.0.0.1', '10.8.0.0/24'), node('w2', '10.0.0.9', '10.8.1.0/24')], 'w1');
    expect(r.remove.map((p) => `${p.name} ${p.ip}`).sort()).toEqual(['w2 10.0.0.2', 'w3 10.0.0.3']);
    expect(r.add.map((n) => `${n.name} ${n.ip}`)).toEqual(['w2 10.0.0.9']);
  });

  it('changes nothing when the nodes are as applied', () => {
    const applied = new Map([['w2', { name: 'w2', ip: '10.0.0.2', podCIDR: '10.8.1.0/24' }]]);
    expect(peerChanges(applied, [node('w2', '10.0.0.2', '10.8.1.0/24')], 'w1')).toEqual({ add: [], remove: [] });
  });
});

describe('podActions (kubelet sync)', () => {
  it('starts pods bound here that do not run, stops running pods that are gone', () => {
    const r = podActions(
      [
        { key: 'default/a', uid: '1', deleting: false },
        { key: 'default/b', uid: '2', deleting: false },
      ],
      new Map([
        ['default/a', { uid: '1' }],
        ['default/gone', { uid: '9' }],
      ]),
    );
    expect(r).toEqual({ start: ['default/b'], stop: ['default/gone'] });
  });

  it('stops a pod being deleted and does not start it again', () => {
    expect(podActions([{ key: 'default/a', uid: '1', deleting: true }], new Map([['default/a', { uid: '1' }]]))).toEqual({ start: [], stop: ['default/a'] });
    expect(podActions([{ key: 'default/a', uid: '1', deleting: true }], new Map())).toEqual({ start: [], stop: [] });
  });

  it('replaces a pod recreated under the same name (a StatefulSet pod): stop the old uid, start the new', () => {
    expect(podActions([{ key: 'default/web-0', uid: 'new', deleting: false }], new Map([['default/web-0', { uid: 'old' }]]))).toEqual({
      start: ['default/web-0'],
      stop: ['default/web-0'],
    });
  });
});

describe('what the agent writes', () => {
  it("registers a control-plane node with kubeadm's label and taint, a worker without", () => {
    const cp = nodeObject({ name: 'cp1', role: 'control-plane', podCIDR: '10.8.2.0/24' });
    expect(cp).toMatchObject({
      metadata: { labels: { 'kubernetes.io/hostname': 'cp1', 'node-role.kubernetes.io/control-plane': '' } },
      spec: { podCIDR: '10.8.2.0/24', podCIDRs: ['10.8.2.0/24'], taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
    });
    const w = nodeObject({ name: 'w1', role: 'worker' });
    expect(w.spec).toEqual({});
    expect((w.metadata as { labels: object }).labels).not.toHaveProperty('node-role.kubernetes.io/control-plane');
  });

  it('reports the node Ready at its InternalIP', () => {
    const s = nodeStatus({ name: 'w1', ip: '10.0.0.1', version: 'v1.34.2' }).status as { addresses: unknown[]; conditions: { type: string; status: string }[] };
    expect(s.addresses).toContainEqual({ type: 'InternalIP', address: '10.0.0.1' });
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a pod is Running and Ready when every container runs; Pending with the reason when one waits', () => {
    const run = podStatus({
      podIP: '10.8.0.5',
      hostIP: '10.0.0.1',
      ready: true,
      startTime: 't',
      containers: [{ name: 'web', image: 'x', running: { startedAt: 't' } }],
    }).status as Record<string, unknown>;
    expect(run).toMatchObject({ phase: 'Running', podIP: '10.8.0.5', podIPs: [{ ip: '10.8.0.5' }] });
    expect((run.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status).toBe('True');
    const wait = podStatus({
      podIP: '10.8.0.6',
      hostIP: '10.0.0.1',
      ready: false,
      startTime: 't',
      containers: [{ name: 'web', image: 'nope', waiting: { reason: 'ErrImagePull', message: 'cannot be run here' } }],
    }).status as Record<string, unknown>;
    expect(wait.phase).toBe('Pending');
    expect((wait.containerStatuses as { state: unknown }[])[0].state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'cannot be run here' } });
    expect((wait.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('a running container whose readiness probe has not passed is not ready, and neither is its pod (READY 1/2)', () => {
    const s = podStatus({
      podIP: '10.8.0.5',
      hostIP: '10.0.0.1',
      ready: false,
      startTime: 't',
      containers: [
        { name: 'web', image: 'x', running: { startedAt: 't' }, ready: false },
        { name: 'side', image: 'x', running: { startedAt: 't' }, ready: true },
      ],
    }).status as Record<string, unknown>;
    expect(s.phase).toBe('Running');
    expect((s.containerStatuses as { name: string; ready: boolean; started: boolean }[]).map((c) => [c.name, c.ready, c.started])).toEqual([
      ['web', false, true],
      ['side', true, true],
    ]);
    const cond = (t: string) => (s.conditions as { type: string; status: string }[]).find((c) => c.type === t)?.status;
    expect([cond('Ready'), cond('ContainersReady')]).toEqual(['False', 'False']);
  });
});

describe('podStatus of pods whose containers terminated (restartPolicy Never/OnFailure)', () => {
  const base = { podIP: '10.244.1.2', hostIP: '172.16.20.6', ready: true, startTime: '2026-01-01T00:00:00Z' };
  const done = (exitCode: number) => ({
    name: 'c',
    image: 'busybox',
    terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: 't0', finishedAt: 't1' },
  });
  const status = (s: Record<string, unknown>) => s.status as { phase: string; containerStatuses: { state: unknown; ready: boolean }[] };

  it('Succeeded when every container exited 0, Failed when one did not, with the terminated state', () => {
    expect(status(podStatus({ ...base, containers: [done(0)] })).phase).toBe('Succeeded');
    const failed = status(podStatus({ ...base, containers: [done(0), { ...done(3), name: 'd' }] }));
    expect(failed.phase).toBe('Failed');
    expect(failed.containerStatuses[1]).toMatchObject({ ready: false, state: { terminated: { exitCode: 3, reason: 'Error' } } });
  });

  it('stays Running while another container still runs', () => {
    expect(status(podStatus({ ...base, containers: [done(0), { name: 'd', image: 'busybox', running: { startedAt: 't0' } }] })).phase).toBe('Running');
  });
});
