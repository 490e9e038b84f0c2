// The control-plane bench: a lab with the real control plane (etcd, kube-apiserver, the
// controllers, the scheduler, one node agent per node), then what a learner's kubectl changes
// cost until the kernel follows:
// - control plane ready: from starting its processes to every node agent registered and ready
//   (target < 6 s);
// - `kubectl expose` to the first successful connection to the new ClusterIP (target < 1 s);
// - `kubectl scale` 3 -> 10 to every replica answering through the ClusterIP;
// - kubectl exec and kubectl logs through the node agents' kubelet API (target: exec < 1 s);
// - a pod deleted to its replacement answering;
// - the Deployment scaled to 100 pods, all Ready, and the memory (PSS) of everything the lab runs.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { parseLabSource } from '../src/labfile/load.js';
import { resolveModel } from '../src/model/resolve.js';
import { planLab } from '../src/plan/plan-lab.js';
import { upLab } from '../src/lab/up.js';
import { downLab } from '../src/lab/down.js';
import type { PreparedLab } from '../src/lab/prepare.js';
import { cniBackend } from '../src/plan/cni/registry.js';
import { runKubectl } from '../src/kernel/kubectl.js';
import { netnsName, PROCESS_MARKER } from '../src/model/names.js';
import { READY_PODS_JSONPATH, readyPods } from '../src/k8s/testing/ready-pods.js';

const LAB = 'benchcp';

function labYaml(): string {
  return stringify({
    name: LAB,
    underlay: { cidr: '10.10.20.0/22' },
    cluster: { podCIDR: '10.8.0.0/16', serviceCIDR: '10.96.0.0/12', cni: 'flannel-vxlan', controlPlane: 'kubernetes' },
    nodes: [
      { name: 'cp1', ip: '10.10.20.3', role: 'control-plane' },
      { name: 'w1', ip: '10.10.20.4' },
      { name: 'w2', ip: '10.10.20.5' },
    ],
    manifests: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['serve-hostname', '--port=80'] }] },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client' },
        spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'nicolaka/netshoot', command: ['sleep', 'infinity'] }] },
      },
    ],
  });
}

function prepare(): PreparedLab {
  const source = labYaml();
  const lab = parseLabSource(source, `${LAB}.yaml`);
  const model = resolveModel(lab);
  return {
    loaded: { ...lab, file: `${LAB}.yaml`, source },
    model,
    plan: planLab(model),
    cni: cniBackend('flannel-vxlan'),
    digest: LAB,
    requires: [],
    missing: [],
    warnings: [],
  };
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await runKubectl(LAB, args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The pods answering `n` new connections to the ClusterIP from the client pod. */
function answering(ip: string, n: number): Set<string> {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', netnsName(LAB, 'client'), 'sh', '-c', `for i in $(seq ${n}); do curl -s --max-time 1 http://${ip}/; echo; done`],
    { encoding: 'utf8' },
  );
  return new Set(out.split('\n').filter(Boolean));
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

async function readyWeb(): Promise<string[]> {
  return [...readyPods(await kubectl('get', 'pods', '-l', 'app=web', '-o', READY_PODS_JSONPATH)).keys()];
}

/** Proportional set size of every process the lab runs (shared pages split among sharers). */
export function labPssMb(lab: string): number {
  let kb = 0;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/environ`, 'latin1').includes(`${PROCESS_MARKER}=${lab}\0`)) continue;
      kb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

const row = (what: string, ms: number, target?: number) =>
  console.log(
    `${what.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(7)} s${target === undefined ? '' : `   target < ${target / 1000} s: ${ms <= target ? 'met' : 'MISSED'}`}`,
  );

export async function benchControlPlane(): Promise<boolean> {
  console.log('\nthe real control plane, 3 nodes, one run (kubectl changes until the kernel follows)\n');
  const p = prepare();
  const marks = new Map<string, number>();
  const t0 = performance.now();
  let ok = true;
  try {
    await upLab(p, {
      onStep: (s) => {
        const key = s.includes('kube-apiserver') ? 'api' : s.includes('node-agent') ? 'agents' : s.split(' ')[0];
        if (!marks.has(key)) marks.set(key, performance.now());
      },
    });
    const upMs = performance.now() - t0;
    const started = marks.get('workloads') ?? 0;
    row('API server ready (etcd, kube-apiserver /readyz)', (marks.get('api') ?? 0) - started);
    const ready = (marks.get('agents') ?? 0) - started;
    row('control plane ready: controllers, scheduler, node agents', ready, 6000);
    ok &&= ready <= 6000;
    row('lab up (including 3 replicas, CoreDNS, settled)', upMs);

    // From the moment kubectl returns (the API server accepted the Service).
    const ip = await kubectl('expose', 'deployment', 'web', '--name=web-service', '--port=80', '-o', 'jsonpath={.spec.clusterIP}');
    const exposeMs = await until(() => answering(ip, 1).size > 0, 10_000, 'the first answer');
    row('kubectl expose accepted -> first connection to the ClusterIP', exposeMs, 1000);
    ok &&= exposeMs <= 1000;

    // The kubelet API: kubectl -> API server (WebSocket) -> the node agent (SPDY) -> the pod.
    const timed = async (...args: string[]) => {
      const t = performance.now();
      await kubectl(...args);
      return performance.now() - t;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const each = async (n: number, ...args: string[]) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push(await timed(...args));
      return median(ms);
    };
    const getMs = await each(5, 'get', 'pod', 'client');
    const execMs = await each(5, 'exec', 'client', '--', 'true');
    row('kubectl get pod (the API round trip kubectl makes first)', getMs);
    row('kubectl exec client -- true (median of 5)', execMs, 1000);
    ok &&= execMs <= 1000;
    row('kubectl logs of a web pod (median of 5)', await each(5, 'logs', 'deployment/web'));

    await kubectl('scale', 'deployment', 'web', '--replicas=10');
    const scaled = await until(async () => (await readyWeb()).length === 10 && answering(ip, 60).size === 10, 60_000, '10 replicas answering');
    row('kubectl scale 3 -> 10 -> every replica answering', scaled);

    const [victim] = await readyWeb();
    await kubectl('delete', 'pod', victim, '--wait=false');
    const replaced = await until(
      async () => {
        const pods = await readyWeb();
        if (pods.length !== 10 || pods.includes(victim)) return false;
        const a = answering(ip, 60);
        return a.size === 10 && [...a].every((x) => pods.includes(x));
      },
      60_000,
      'the replacement',
    );
    row('kubectl delete pod -> replacement answering, the old one gone', replaced);

    await kubectl('scale', 'deployment', 'web', '--replicas=100');
    const hundred = await until(async () => (await readyWeb()).length === 100, 120_000, '100 ready replicas');
    row('kubectl scale 10 -> 100: every pod Ready', hundred);
    console.log(`${'memory (PSS) of the lab: control plane, agents, 100 pods'.padEnd(58)} ${labPssMb(LAB).toFixed(0).padStart(7)} MB`);
  } finally {
    await downLab(LAB);
  }
  return ok;
}
