// The topology bench: time `lab up` + `lab down` of a 3-node flannel-vxlan topology with 10 and 100
// pods, next to bench/plain-topology.sh building the same topology with plain `ip -batch`
// (one per namespace, in sequence). The harness side runs in-process (parse -> model -> plan ->
// apply -> teardown), without workload processes, since the plain script starts none either;
// a last line times the full `up` with workloads for information.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseLabSource } from '../src/labfile/load.js';
import { resolveModel } from '../src/model/resolve.js';
import { planLab, opCount } from '../src/plan/plan-lab.js';
import { upLab } from '../src/lab/up.js';
import { downLab } from '../src/lab/down.js';
import type { PreparedLab } from '../src/lab/prepare.js';
import { cniBackend } from '../src/plan/cni/registry.js';
import { labPssMb } from './control-plane.js';
import { REPO_ROOT } from '../src/paths.js';

const PLAIN = join(REPO_ROOT, 'bench', 'plain-topology.sh');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET = 1.5;
/** Deleting a namespace returns at once; the kernel frees its devices afterwards in a worker
 * that holds the same locks the next run needs. Each timed run starts after that work settled,
 * for both sides alike, so that one run's cleanup is not billed to the next. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1000);
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

function labYaml(name: string, pods: number): string {
  const manifests = Array.from({ length: pods }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod${i}` },
    spec: {
      nodeName: i % 2 === 0 ? 'w1' : 'w2',
      containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['serve-hostname', '--port=80'] }],
    },
  }));
  return stringify({
    name,
    underlay: { cidr: '10.10.20.0/22', mtu: 1500 },
    // The topology of the issue: the pod network. kube-proxy's rules are timed by bench/services.ts.
    cluster: { podCIDR: '10.8.0.0/16', nodeCIDRMaskSize: 24, serviceCIDR: '10.96.0.0/12', cni: 'flannel-vxlan', kubeProxy: { mode: 'none' } },
    nodes: [
      { name: 'cp1', ip: '10.10.20.3', role: 'control-plane' },
      { name: 'w1', ip: '10.10.20.4', podCIDR: '10.8.0.0/24' },
      { name: 'w2', ip: '10.10.20.5', podCIDR: '10.8.1.0/24' },
    ],
    manifests,
  });
}

function prepare(name: string, pods: number, workloads: boolean): PreparedLab {
  const source = labYaml(name, pods);
  const lab = parseLabSource(source, `${name}.yaml`);
  const model = resolveModel(lab);
  const plan = planLab(model);
  if (!workloads) plan.processes = [];
  return {
    loaded: { ...lab, file: `${name}.yaml`, source },
    model,
    plan,
    cni: cniBackend('flannel-vxlan'),
    digest: name,
    requires: [],
    missing: [],
    warnings: [],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function harnessOnce(pods: number, workloads: boolean): Promise<number> {
  await settle();
  const t0 = performance.now();
  const p = prepare('bench', pods, workloads);
  await upLab(p);
  await downLab('bench');
  return performance.now() - t0;
}

async function plainOnce(pods: number): Promise<number> {
  await settle();
  const t0 = performance.now();
  execFileSync('bash', [PLAIN, 'up', String(pods), 'wl-benchplain']);
  execFileSync('bash', [PLAIN, 'down', String(pods), 'wl-benchplain']);
  return performance.now() - t0;
}

/** Runs alternate between the two sides, so a slow spell of the machine (steal time on a
 * VM) hits both alike instead of skewing one side's median. */
async function compare(pods: number): Promise<{ harness: number; plain: number }> {
  await harnessOnce(pods, false);
  await plainOnce(pods);
  const h: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    h.push(await harnessOnce(pods, false));
    p.push(await plainOnce(pods));
  }
  return { harness: median(h), plain: median(p) };
}

/** lab up + lab down of the topology with 10 and 100 pods, against the plain script. */
export async function benchTopology(): Promise<boolean> {
  console.log(`lab up + lab down, 3 nodes, median of ${RUNS} runs, ${SETTLE_MS} ms apart (target: harness within ${TARGET}x of plain ip -batch)\n`);
  console.log('pods  ops   harness ms  plain ms  ratio  target');
  let ok = true;
  for (const pods of [10, 100]) {
    const ops = opCount(prepare('bench', pods, false).plan);
    const { harness: h, plain: p } = await compare(pods);
    const ratio = h / p;
    ok &&= ratio <= TARGET;
    console.log(
      `${String(pods).padStart(4)}  ${String(ops).padStart(4)}  ${h.toFixed(1).padStart(10)}  ${p.toFixed(1).padStart(8)}  ${ratio.toFixed(2).padStart(5)}  ${ratio <= TARGET ? 'met' : 'MISSED'}`,
    );
  }
  // 100 pods with their containers (a pause process and the real agnhost each), without a
  // control plane: up to every container listening, and what it all holds in memory.
  await settle();
  const t0 = performance.now();
  await upLab(prepare('bench', 100, true));
  const upMs = performance.now() - t0;
  const mb = labPssMb('bench');
  await downLab('bench');
  const fast = upMs <= 5000;
  const small = mb <= 500;
  console.log(
    `\n100 pods with their containers (pause + agnhost each) up: ${(upMs / 1000).toFixed(2)} s (target < 5 s: ${fast ? 'met' : 'MISSED'}), ${mb.toFixed(0)} MB PSS (target < 500 MB: ${small ? 'met' : 'MISSED'})`,
  );
  return ok && fast && small;
}
