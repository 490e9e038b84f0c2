// Training exercises, each proven both ways on real kernel state: after `lab exercise start` its
// check fails (and says where the traffic died), hints are remembered between calls, after
// `lab solve` the check passes, and nothing of the lab is left after `lab down`. An exercise whose
// fault does not break its check is refused at start and leaves nothing behind.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpointReadiness, guardLeftovers, lab, labNamespaces, ROOT } from './helpers.js';

const tmp = guardLeftovers('wirelab-ex-');

const EXERCISES = readdirSync(join(ROOT, 'exercises'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .filter((n) => !process.env.WIRELAB_EXERCISE || process.env.WIRELAB_EXERCISE === n);

/** What an exercise's broken state must also show beyond its failing check: the reason, on the
 * wire or in the API, so the exercise breaks what its ticket says and nothing else. */
const BROKEN_EVIDENCE: Record<string, (name: string, check: string) => Promise<void>> = {
  'mtu-blackhole': async (name) => {
    // a plain ping still passes ...
    const ping = await lab(['exec', name, 'pod-d', '--', 'ping', '-c1', '-W1', '10.8.0.5']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    // ... and w1 did answer pod-a's full-size segments with "fragmentation needed", which its own
    // OUTPUT rule dropped: the counter of that rule counts them.
    const fw = await lab(['exec', name, 'w1', '--', 'iptables', '-t', 'filter', '-L', 'OUTPUT', '-v', '-n', '-x']);
    const rule = fw.stdout.split('\n').find((l) => /\sDROP\s+(icmp|1)\s/.test(l) && /icmptype 3/.test(l));
    expect(Number(rule?.trim().split(/\s+/)[0]), fw.stdout).toBeGreaterThan(0);
  },
  'pod-not-ready': async (name) => {
    const pods = await lab(['kubectl', name, '--', 'get', 'pods', '-l', 'app=web', '--no-headers']);
    expect(pods.stdout).toMatch(/^web-\S+\s+0\/1\s+Running\s/m);
    expect(pods.stdout).not.toMatch(/\s1\/1\s/);
    // kubelet's reason, as `kubectl describe pod` lists it
    const events = await lab(['kubectl', name, '--', 'get', 'events', '--field-selector', 'reason=Unhealthy', '-o', 'jsonpath={.items[*].message}']);
    expect(events.stdout).toContain('Readiness probe failed: HTTP probe failed with statuscode: 404');
    // the EndpointSlice controller lists the pods, not ready
    const ready = await endpointReadiness(name, 'web-service');
    expect(ready.length).toBeGreaterThan(0);
    expect(
      ready.every((r) => r === 'false'),
      ready.join(),
    ).toBe(true);
  },
  'tls-name-mismatch': async (name) => {
    // The browser's own curl, trusting the lab's CA: the chain verifies, the name does not.
    const ca = `/run/wirelab/${name}/certs/default/tls-secret.crt`;
    const curl = (...how: string[]) =>
      lab(['exec', name, 'browser', '--', 'curl', '-sS', '-m', '3', ...how, '--resolve', 'app.example.com:30443:10.10.20.4', 'https://app.example.com:30443/']);
    const r = await curl('--cacert', ca);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no alternative certificate subject name matches target host name 'app.example.com'");
    // -k skips the check: then it answers, so only the certificate is wrong, not the route
    const k = await curl('-k');
    expect(k.stdout).toContain('web-1');
  },
};

describe('training exercises', () => {
  for (const name of EXERCISES) {
    it(`${name}: broken after start, hints remembered, solved after solve`, async () => {
      try {
        const start = await lab(['exercise', 'start', name], 180_000);
        if (start.code === 3) return; // skipped: this kernel lacks a feature the lab needs
        expect(start.code, start.stdout + start.stderr).toBe(0);
        expect(start.stdout).toContain('Ticket #');
        expect(start.stdout).toContain(`lab check ${name}`);

        const out = tmp();
        const broken = await lab(['check', name, '--out', out], 120_000);
        expect(broken.code, broken.stdout + broken.stderr).toBe(1);
        expect(broken.stdout).toMatch(/^FAIL {2}/m);
        // where the learner's traffic died, in words, and the page that draws it
        expect(broken.stdout).toMatch(/what happened: |your traffic was |dropped at/);
        expect(broken.stdout).toContain(`${out}/report.html`);
        expect(existsSync(join(out, 'report.html'))).toBe(true);
        const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { passed: boolean; expectations: { message: string }[] };
        expect(json.passed).toBe(false);
        await BROKEN_EVIDENCE[name]?.(name, broken.stdout + json.expectations.map((e) => e.message).join('\n'));

        const h1 = await lab(['hint', name]);
        const h2 = await lab(['hint', name]);
        expect(h1.stdout).toMatch(/^Hint 1 of \d+: /);
        expect(h2.stdout).toMatch(/^Hint 2 of \d+: /);

        const solved = await lab(['solve', name], 180_000);
        expect(solved.code, solved.stdout + solved.stderr).toBe(0);
        expect(solved.stdout).toContain('The fix: ');
        expect(solved.stdout).toMatch(/All \d+ checks? pass: the exercise is solved/);

        const again = await lab(['check', name], 120_000);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(again.stdout).toContain(`/run/wirelab/${name}/check/report.html`);
      } finally {
        const down = await lab(['down', name]);
        expect(down.code, down.stderr).toBe(0);
      }
      expect(labNamespaces(`wl-${name}.`)).toEqual([]);
    }, 600_000);
  }

  it("kube-proxy's rules deleted by hand stay deleted until an API change makes the node agent rewrite them", async () => {
    const name = 'kube-proxy-rule-deleted';
    try {
      expect((await lab(['exercise', 'start', name], 180_000)).code).toBe(0);
      // An API change that leaves the rules as they are: the agent's sync is skipped, the hole stays.
      expect((await lab(['kubectl', name, '--', 'annotate', 'service', 'web-service', 'touched=yes'])).code).toBe(0);
      expect((await lab(['check', name], 120_000)).code).toBe(1);
      // A new Service is a partial sync, which writes the top-level chains again (as upstream's
      // does): the deleted rule is back.
      expect((await lab(['kubectl', name, '--', 'create', 'service', 'clusterip', 'probe', '--tcp=81:81'])).code).toBe(0);
      const healed = await lab(['check', name], 120_000);
      expect(healed.code, healed.stdout + healed.stderr).toBe(0);
    } finally {
      expect((await lab(['down', name])).code).toBe(0);
    }
  }, 600_000);

  it('mtu-blackhole: with the ICMP rule gone, path-MTU discovery gets the transfer through the smaller MTU', async () => {
    const name = 'mtu-blackhole';
    try {
      const start = await lab(['exercise', 'start', name], 180_000);
      expect(start.code, start.stdout + start.stderr).toBe(0);
      // Only the rule that dropped "fragmentation needed": flannel.1 stays at 1400.
      const del = await lab(['exec', name, 'w1', '--', 'iptables', '-D', 'OUTPUT', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '3', '-j', 'DROP']);
      expect(del.code, del.stderr).toBe(0);
      const get = await lab(['exec', name, 'pod-d', '--', 'curl', '-sS', '-m', '10', 'http://10.8.0.5/shell?cmd=seq+1+20000']);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout.endsWith('20000\\n"}')).toBe(true);
      // pod-a learnt the path MTU from w1's ICMP error: its route cache says so
      const cache = await lab(['exec', name, 'pod-a', '--', 'ip', 'route', 'get', '10.8.1.10']);
      expect(cache.stdout).toMatch(/mtu 1400/);
    } finally {
      expect((await lab(['down', name])).code).toBe(0);
    }
    expect(labNamespaces(`wl-${name}.`)).toEqual([]);
  }, 600_000);

  /** A throw-away exercise on flannel-vxlan with one fault and one solution step. */
  function exerciseFile(name: string, fault: string, fix: string): string {
    const file = join(tmp(), `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'lab: flannel-vxlan',
        "seed: 'test'",
        'task: t',
        'faults:',
        `  - ${fault}`,
        'hints: [h]',
        'check: ["cross-node pod-a -> pod-d is VXLAN-encapsulated, without NAT"]',
        `solution: { explain: e, steps: [${fix}] }`,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('an exercise whose fault does not break its check is refused at start, leaving nothing behind', async () => {
    // cp1 is not on the way from pod-a to pod-d
    const file = exerciseFile('ex-harmless', 'link: { on: cp1, dev: cni0, state: down }', '{ link: { on: cp1, dev: cni0, state: up } }');
    const r = await lab(['exercise', 'start', file], 180_000);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain('still pass, so the learner would have nothing to fix: refused');
    expect(labNamespaces('wl-ex-harmless.')).toEqual([]);
  }, 300_000);

  it('a fault naming a device the lab lacks is a located error before anything is built', async () => {
    const file = exerciseFile('ex-bad', 'mtu: { on: w2, dev: eth9, mtu: 1400 }', '{ mtu: { on: w2, dev: eth0, mtu: 1500 } }');
    const r = await lab(['exercise', 'start', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:6:5: faults[0]: w2 has no device "eth9"`);
    expect(labNamespaces('wl-ex-bad.')).toEqual([]);
  });
});
