// Loading exercises and planning their faults: every exercise in exercises/ loads, names checks
// its lab has, and plans its faults and solution against the lab's own plan; a check that names
// nothing, an action on a missing node, device, route or process, and a broken kubectl line are
// refused with the exercise file's line, the field and a fix. Pure: nothing touches the kernel.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXERCISES_DIR } from '../paths.js';
import { SpecError } from '../labfile/errors.js';
import { renameLab } from '../labfile/exercise.js';
import { prepareExercise, checksOnly } from './exercise.js';

const dir = mkdtempSync(join(tmpdir(), 'wirelab-exercise-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = [
  'name: ex-unit',
  'lab: flannel-vxlan',
  "seed: '001: a line'",
  'task: pod-a cannot reach pod-d',
  'faults:',
  '  - fdb: { on: w1, peer: w2, delete: true }',
  'hints: [look at flannel.1]',
  'check: ["cross-node pod-a -> pod-d is VXLAN-encapsulated, without NAT"]',
  'solution: { explain: put it back, steps: [{ fdb: { on: w1, peer: w2 } }] }',
  '',
].join('\n');

function write(name: string, source: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, source);
  return f;
}

async function problems(source: string): Promise<string> {
  const f = write(`p${Math.random().toString(36).slice(2)}`, source);
  try {
    await prepareExercise(f);
  } catch (e) {
    if (e instanceof SpecError) return e.message.replaceAll(f, 'EX');
    throw e;
  }
  throw new Error('expected a SpecError');
}

describe('exercises', () => {
  const names = readdirSync(EXERCISES_DIR).filter((f) => f.endsWith('.yaml'));

  it('there are at least ten, each citing a seed', () => {
    expect(names.length).toBeGreaterThanOrEqual(10);
  });

  for (const f of names) {
    it(`${f} loads, its checks exist in its lab, its faults and solution plan`, async () => {
      const x = await prepareExercise(join(EXERCISES_DIR, f));
      expect(x.lab.model.lab).toBe(f.replace(/\.yaml$/, ''));
      expect(x.exercise.spec.seed).toMatch(/^00[0-4]: /);
      expect(x.faults.length).toBeGreaterThan(0);
      expect(x.solution.length).toBeGreaterThan(0);
      const checked = checksOnly(x).loaded.spec;
      expect(checked.expectations.length + checked.reachability.length).toBe(x.exercise.spec.check.length);
    });
  }

  it("runs the lab under the exercise's name, every other line of the lab file unchanged", async () => {
    const x = await prepareExercise(write('ex-unit', VALID));
    expect(x.lab.model.lab).toBe('ex-unit');
    expect(x.lab.plan.namespaces.every((n) => n.netns.startsWith('wl-ex-unit.'))).toBe(true);
    const src = 'a: 1\nname: flannel-vxlan\nb: 2\n';
    expect(renameLab(src, 'x')).toBe('a: 1\nname: x\nb: 2\n');
  });

  it('deletes the FDB entry the pod network installed toward the peer, and puts exactly it back', async () => {
    const x = await prepareExercise(write('ex-unit', VALID));
    const [fault] = x.faults;
    const [fix] = x.solution;
    expect(fault.kind).toBe('ops');
    if (fault.kind !== 'ops' || fix.kind !== 'ops') return;
    const planned = x.lab.plan.steps.flatMap((s) => s.ops).find((o) => o.kind === 'bridge' && o.netns === 'wl-ex-unit.w1' && o.args.includes('10.10.20.5'));
    expect(planned).toBeDefined();
    const mac = planned!.kind === 'bridge' ? planned!.args[2] : '';
    expect(fault.ops).toEqual([{ kind: 'bridge', netns: 'wl-ex-unit.w1', args: ['fdb', 'del', mac, 'dev', 'flannel.1', 'dst', '10.10.20.5', 'self'] }]);
    expect(fix.ops).toEqual([planned]);
    expect(fault.says).toBe(`lab exec ex-unit w1 -- bridge fdb del ${mac} dev flannel.1 dst 10.10.20.5 self`);
  });

  it('routes, links, MTUs, iptables rules, netem and kubectl lines become the commands a learner would type', async () => {
    const src = VALID.replace(
      '  - fdb: { on: w1, peer: w2, delete: true }',
      [
        '  - route: { on: w1, to: 10.8.1.0/24, delete: true }',
        '  - link: { on: w2, dev: flannel.1, state: down }',
        '  - mtu: { on: w2, dev: eth0, mtu: 1400 }',
        '  - iptables: { on: w1, table: filter, rule: "FORWARD -s 10.8.0.0/16 -j ACCEPT", delete: true }',
        '  - netem: { on: underlay, dev: p-w2, delayMs: 100, lossPercent: 5 }',
        `  - kubectl: label pod pod-d app=web-canary --overwrite`,
      ].join('\n'),
    );
    const x = await prepareExercise(write('ex-unit', src));
    expect(x.faults.map((f) => f.says)).toEqual([
      'lab exec ex-unit w1 -- ip route del 10.8.1.0/24',
      'lab exec ex-unit w2 -- ip link set flannel.1 down',
      'lab exec ex-unit w2 -- ip link set eth0 mtu 1400',
      "lab exec ex-unit w1 -- iptables -t filter -D 'FORWARD -s 10.8.0.0/16 -j ACCEPT'",
      'lab exec ex-unit underlay -- tc qdisc replace dev p-w2 root netem delay 100ms loss 5%',
      'lab kubectl ex-unit -- label pod pod-d app=web-canary --overwrite',
    ]);
    expect(x.faults[3]).toMatchObject({
      ops: [{ kind: 'iptables-restore', netns: 'wl-ex-unit.w1', rules: '*filter\n-D FORWARD -s 10.8.0.0/16 -j ACCEPT\nCOMMIT\n' }],
    });
    expect(x.faults[5]).toMatchObject({ kind: 'kubectl', args: ['label', 'pod', 'pod-d', 'app=web-canary', '--overwrite'] });
    expect(x.lab.requires).toContain('CONFIG_NET_SCH_NETEM');
  });

  it("a certificate for other names is issued by the lab's generated one and put into its Secret", async () => {
    const x = await prepareExercise('tls-name-mismatch');
    expect(x.faults).toEqual([
      expect.objectContaining({
        kind: 'tls',
        ops: [
          {
            kind: 'x509-cert',
            path: 'certs/default/tls-secret-www.example.org',
            ca: 'certs/default/tls-secret',
            subject: '/CN=www.example.org',
            usage: 'server',
            sans: ['DNS:www.example.org'],
          },
        ],
        secret: { namespace: 'default', name: 'tls-secret' },
        path: 'certs/default/tls-secret-www.example.org',
      }),
    ]);
    // the solution's certificate is another file, naming both hosts of the Ingress's tls block
    expect(x.solution[0]).toMatchObject({
      path: 'certs/default/tls-secret-app.example.com-admin.example.com',
      ops: [{ sans: ['DNS:app.example.com', 'DNS:admin.example.com'] }],
    });
    const src = VALID.replace('fdb: { on: w1, peer: w2, delete: true }', 'tls: { secret: tls-secret, hosts: [x.example.com] }');
    expect(await problems(src)).toContain('EX:6:5: faults[0]: the lab generates no TLS Secret default/tls-secret');
  });

  it('refuses a check that names no expectation of the lab: it could never fail', async () => {
    const msg = await problems(VALID.replace('check: ["cross-node', 'check: ["crossnode'));
    expect(msg).toContain('EX:8:9: check[0]: the lab flannel-vxlan has no expectation or truth table named "crossnode pod-a');
    expect(msg).toContain('this check could never fail');
    expect(msg).toContain('fix: use one of: "same-node pod-a -> pod-b stays on the cni0 bridge"');
  });

  it('refuses actions on what the lab does not have, naming the line and the choices', async () => {
    expect(await problems(VALID.replace('fdb: { on: w1, peer: w2, delete: true }', 'mtu: { on: w9, dev: eth0, mtu: 1400 }'))).toContain(
      'EX:6:5: faults[0]: the lab has no node, pod or switch named "w9"\n    fix: use one of: underlay, cp1, w1, w2',
    );
    expect(await problems(VALID.replace('fdb: { on: w1, peer: w2, delete: true }', 'route: { on: w1, to: 10.9.0.0/24, delete: true }'))).toContain(
      'faults[0]: the pod network installs no route to 10.9.0.0/24 on w1',
    );
    expect(await problems(VALID.replace('fdb: { on: w1, peer: w2, delete: true }', 'stop: w2/bird'))).toContain(
      'faults[0]: the lab starts no process named "w2/bird"',
    );
    expect(await problems(VALID.replace('[{ fdb: { on: w1, peer: w2 } }]', `[{ kubectl: "get pods 'x" }]`))).toContain('solution.steps[0]: kubectl: ');
  });

  it('refuses an exercise without faults, or with an unknown action, at its line', async () => {
    expect(await problems(VALID.replace('  - fdb: { on: w1, peer: w2, delete: true }', '  []').replace('faults:\n', 'faults:'))).toContain(
      'faults: an exercise needs at least one fault',
    );
    expect(await problems(VALID.replace('fdb: { on: w1, peer: w2, delete: true }', 'reboot: w1'))).toContain(
      'fix: an action is one of: kubectl, route, fdb, link, mtu, iptables, netem, tls, stop, start',
    );
  });

  it('names a missing exercise with the fix', async () => {
    await expect(prepareExercise('no-such-exercise')).rejects.toThrow(/no exercise named "no-such-exercise"[\s\S]*lab exercise list/);
  });
});
