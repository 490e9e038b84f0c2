// The real control plane with wirelab as the node side: seed 001's transcript as a lab, then the
// live changes a learner makes with kubectl and the kernel state following them (Service
// endpoints as DNAT rules, pods as namespaces, NetworkPolicy as drops), DNS for the kubernetes
// Service, and nothing left behind (control-plane processes included: guardLeftovers).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, sh, waitFor } from './helpers.js';
import { READY_PODS_JSONPATH, readyPods } from '../../src/k8s/testing/ready-pods.js';

const tmp = guardLeftovers('wirelab-cp-');
const LAB = 'kubectl-expose';

async function kubectl(...args: string[]): Promise<string> {
  const r = await lab(['kubectl', LAB, '--', ...args]);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/** Ready web pods, name -> address. */
async function readyWebPods(): Promise<Map<string, string>> {
  return readyPods(await kubectl('get', 'pods', '-l', 'app=web', '-o', READY_PODS_JSONPATH));
}

/** The pods that answer 40 new connections to the ClusterIP from test-dns. */
function answering(clusterIp: string): Set<string> {
  const out = sh(['ip', 'netns', 'exec', `wl-${LAB}.test-dns`, 'sh', '-c', `for i in $(seq 40); do curl -s --max-time 2 http://${clusterIp}/; echo; done`]);
  return new Set(out.split('\n').filter(Boolean));
}

/** The pod addresses kube-proxy DNATs web-service to on a node. */
function dnatTargets(node: string): string[] {
  return sh(['ip', 'netns', 'exec', `wl-${LAB}.${node}`, 'iptables-save', '-t', 'nat'])
    .split('\n')
    .filter((l) => /^-A KUBE-SEP-\S+ .*"default\/web-service".* -j DNAT --to-destination /.test(l))
    .map((l) => l.replace(/.*--to-destination (\S+):80$/, '$1'))
    .sort();
}

describe('a real control plane', () => {
  it('kubectl-expose: the transcript of seed 001 passes, from `get pods` to every replica answering', async () => {
    const out = tmp();
    const r = await lab(['run', LAB, '--out', out], 180_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.expectations.map((e: { passed: boolean }) => e.passed)).toEqual([true, true, true, true, true]);
    // Node IPAM promises no order of the /24s (kube-controller-manager's range allocator can give
    // node01 10.244.2.0/24), so any /24 of the pod network.
    expect(report.expectations[2].kubectl.output).toMatch(/^Endpoints:\s+10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80$/m);
  });

  it('follows kubectl: expose, scale 3 -> 5 -> 1, delete a pod; the ClusterIP reaches exactly the live pods; kubernetes.default resolves', async () => {
    expect((await lab(['up', LAB], 180_000)).code).toBe(0);
    try {
      await kubectl('expose', 'deployment', 'web', '--name=web-service', '--port=80');
      const ip = await kubectl('get', 'service', 'web-service', '-o', 'jsonpath={.spec.clusterIP}');
      expect(ip).toMatch(/^10\.(9[6-9]|1[01]\d)\.\d+\.\d+$/);
      const reachesExactly = async (n: number) => {
        let pods = new Map<string, string>();
        await waitFor(async () => (pods = await readyWebPods()).size === n, 30_000, `${n} ready web pods`);
        const want = [...pods.values()].sort();
        await waitFor(
          () => dnatTargets('controlplane').join() === want.join() && dnatTargets('node01').join() === want.join(),
          10_000,
          `kube-proxy rules for ${want.join(', ')}`,
        );
        expect(answering(ip)).toEqual(new Set(pods.keys()));
        return pods;
      };
      await reachesExactly(3);
      await kubectl('scale', 'deployment', 'web', '--replicas=5');
      await reachesExactly(5);
      await kubectl('scale', 'deployment', 'web', '--replicas=1');
      const [[only, onlyIp]] = [...(await reachesExactly(1)).entries()];

      // Delete the pod: its namespace and its DNAT rule go, its replacement's come.
      await kubectl('delete', 'pod', only);
      await waitFor(() => !existsSync(`/run/netns/wl-${LAB}.${only}`), 10_000, `${only}'s namespace to go`);
      const after = await reachesExactly(1);
      const [[replacement, replacementIp]] = [...after.entries()];
      expect(replacement).not.toBe(only);
      expect(existsSync(`/run/netns/wl-${LAB}.${replacement}`)).toBe(true);
      expect(dnatTargets('node01')).toEqual([replacementIp]);
      // On node01 (the control plane is tainted), in the /24 node IPAM gave it: the range
      // allocator promises no order, and gives node01 10.244.2.0/24 now and then.
      const node01Cidr = await kubectl('get', 'node', 'node01', '-o', 'jsonpath={.spec.podCIDR}');
      expect(node01Cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(onlyIp.startsWith(node01Cidr.slice(0, -'0/24'.length)), `${onlyIp} in ${node01Cidr}`).toBe(true);

      // The API server's own Service, through CoreDNS and kube-proxy.
      const dig = sh(['ip', 'netns', 'exec', `wl-${LAB}.test-dns`, 'dig', '+short', '+search', '+tries=2', '+time=2', 'kubernetes.default']).trim();
      expect(dig).toBe('10.96.0.1');
    } finally {
      expect((await lab(['down', LAB])).code).toBe(0);
    }
  });

  it('netpol-backend: a deny-all NetworkPolicy applied with kubectl turns a reachable cell blocked; deleting it opens it again', async () => {
    expect((await lab(['up', 'netpol-backend'], 180_000)).code).toBe(0);
    try {
      const before = await lab(['test', 'netpol-backend']);
      expect(before.code, before.stdout).toBe(0);
      const deny = join(tmp(), 'deny-all.yaml');
      writeFileSync(
        deny,
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: deny-all, namespace: default }\nspec: { podSelector: {}, policyTypes: [Ingress] }\n',
      );
      const k = await lab(['kubectl', 'netpol-backend', '--', 'apply', '-f', deny]);
      expect(k.stdout).toContain('networkpolicy.networking.k8s.io/deny-all created');
      const out = tmp();
      const after = await lab(['test', 'netpol-backend', '--out', out]);
      expect(after.code).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const table = report.expectations.find((e: { passed: boolean }) => !e.passed);
      expect(table.message).toMatch(/expected reachable, was blocked/);
      expect(after.stdout).toMatch(/WL-DENY I default\//);
      await lab(['kubectl', 'netpol-backend', '--', 'delete', 'networkpolicy', 'deny-all']);
      const again = await lab(['test', 'netpol-backend']);
      expect(again.code, again.stdout).toBe(0);
    } finally {
      expect((await lab(['down', 'netpol-backend'])).code).toBe(0);
    }
  });

  it('a manifest the API server refuses fails `lab up` with its words at the lab file line, and leaves nothing', async () => {
    const file = join(tmp(), 'refused.yaml');
    writeFileSync(
      file,
      readFileSync(join(import.meta.dirname, '../../labs/kubectl-expose.yaml'), 'utf8')
        .replace('name: kubectl-expose', 'name: refused')
        .replace(
          'metadata: { name: test-dns, labels: { run: test-dns } }',
          'metadata: { name: test-dns, labels: { run: test-dns }, annotations: { "bad key!": x } }',
        ),
    );
    const r = await lab(['up', file], 120_000);
    expect(r.code).not.toBe(0);
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('bad key!')) + 1;
    // The manifest starts two lines above its metadata (- apiVersion, kind, metadata).
    expect(r.stderr).toMatch(
      new RegExp(`refused\\.yaml:${line - 2}:\\d+: manifests\\[1\\]: the API server refused Pod test-dns: .*metadata\\.annotations: Invalid value: "bad key!"`),
    );
  });
});
