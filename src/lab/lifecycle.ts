// The lab lifecycle: prepare (parse -> model -> plan, nothing touched), up (apply + workloads),
// test (captures + probes + assertions), down (always; also on failure and interruption).
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLab, locatedError, type LoadedLab } from '../labfile/load.js';
import { formatProblem, type SpecProblem } from '../labfile/errors.js';
import type { ExpectationSpec } from '../labfile/schema.js';
import { IFNAMSIZ, type PathProblem } from '../labfile/validate.js';
import { resolveModel, ModelProblems } from '../model/resolve.js';
import type { ClusterModel } from '../model/types.js';
import { labStateDir } from '../model/names.js';
import { planLab } from '../plan/plan-lab.js';
import type { Plan, Step } from '../plan/types.js';
import { cniBackend } from '../plan/cni/registry.js';
import type { CniBackend } from '../plan/cni/types.js';
import { checkContainers } from '../plan/workloads/containers.js';
import { kubeProxyRequires } from '../plan/proxy/registry.js';
import { applyPlan, waitForRoutes } from '../kernel/apply.js';
import { missingFeatures, FEATURES } from '../kernel/features.js';
import { logFileFor, startDetached, waitForFiles, waitForUdp, isAlive } from '../kernel/processes.js';
import { claimState, readState, writeState, type LabState } from '../kernel/state.js';
import { teardownLab, type TeardownResult } from '../kernel/teardown.js';
import { ownedNetns } from '../kernel/netns.js';
import type { ExpectationResult } from '../assert/expectation.js';
import { buildReport, renderJunit, type LabReport } from '../report/report.js';
import { runExpectations, hopPoints } from './expectations.js';
import { runReachability } from './reachability.js';

export interface PreparedLab {
  loaded: LoadedLab;
  model: ClusterModel;
  plan: Plan;
  cni: CniBackend;
  digest: string;
  /** Kernel features the lab needs and this kernel lacks: the lab is skipped. */
  missing: string[];
  /** Located warnings (e.g. a selector that matches no pod): shown, never fatal. */
  warnings: SpecProblem[];
}

/** Everything that can be known without touching the kernel; throws a located SpecError. */
export async function prepareLab(nameOrPath: string): Promise<PreparedLab> {
  const loaded = await parseLab(nameOrPath);
  const { spec, file, locate } = loaded;
  let model: ClusterModel;
  try {
    model = resolveModel(loaded);
  } catch (e) {
    if (e instanceof ModelProblems) throw locatedError(file, locate, e.problems);
    throw e;
  }
  // Containers first: planning their processes needs a runnable image.
  const manifestIndex = (pod: { name: string }) => spec.manifests.findIndex((m) => m.metadata.name === pod.name);
  const containerProblems = checkContainers(model, manifestIndex);
  if (containerProblems.length > 0) throw locatedError(file, locate, containerProblems);
  const cni = cniBackend(model.network.cni);
  const plan = planLab(model);
  const problems: PathProblem[] = checkHopInterfaces(spec.expectations, plan);
  if (problems.length > 0) throw locatedError(file, locate, problems);
  const digest = createHash('sha256').update(loaded.source).digest('hex');
  const policyCount = model.networkPolicies.length;
  const extra = policyCount > 0 && !cni.enforcesPolicy
    ? [{ path: ['cluster', 'cni'], message: `${cni.kind} does not enforce NetworkPolicy: the ${policyCount} polic${policyCount === 1 ? 'y is' : 'ies are'} accepted but not enforced (seed 004: "Network Policies require CNI support")`, fix: 'use cni: canal (flannel + policy) or calico-bgp to enforce them' }]
    : [];
  const warnings = locatedError(file, locate, [...loaded.warnings, ...model.warnings, ...extra]).problems;
  return { loaded, model, plan, cni, digest, missing: missingFeatures([...new Set([...cni.requires, ...kubeProxyRequires(model)])]), warnings };
}

function checkHopInterfaces(expectations: ExpectationSpec[], plan: Plan): PathProblem[] {
  const problems: PathProblem[] = [];
  expectations.forEach((e, i) =>
    e.hops.forEach((h, j) => {
      for (const at of hopPoints(h)) {
        const [where, dev] = at.split('/');
        const ns = plan.namespaces.find((n) => n.name === where);
        if (!ns || dev.length >= IFNAMSIZ) continue; // reported by validation
        if (!ns.interfaces.includes(dev)) {
          problems.push({ path: ['expectations', i, 'hops', j, 'at'], message: `${where} has no interface "${dev}"`, fix: `use one of: ${ns.interfaces.join(', ')}` });
        }
      }
    }),
  );
  return problems;
}

export function formatWarnings(p: PreparedLab): string[] {
  return p.warnings.map((w) => `warning: ${formatProblem(w)}`);
}

export function skipReason(p: PreparedLab): string | undefined {
  if (p.missing.length === 0) return undefined;
  return `kernel lacks ${p.missing.join(', ')} (${p.missing.map((m) => FEATURES[m]?.what ?? m).join('; ')})`;
}

export class LabAlreadyUp extends Error {}

/** Aborted by SIGINT/SIGTERM: apply and probes stop at the next command. */
export const interruption = new AbortController();

function checkInterrupted(): void {
  if (interruption.signal.aborted) throw new Error('interrupted');
}

export interface UpHooks {
  onStep?: (title: string) => void;
}

export async function upLab(p: PreparedLab, hooks: UpHooks = {}): Promise<void> {
  const lab = p.model.lab;
  const existing = await readState(lab);
  if (existing || (await ownedNetns(lab)).length > 0) {
    throw new LabAlreadyUp(`lab "${lab}" is already up (or left over): run \`lab test ${lab}\`, or \`lab down ${lab}\` first`);
  }
  const state: LabState = {
    lab,
    file: p.loaded.file,
    digest: p.digest,
    phase: 'creating',
    createdAt: new Date().toISOString(),
    namespaces: p.plan.namespaces.map((n) => n.netns),
    processes: [],
  };
  // Written before anything exists, so an interrupted `up` is still torn down completely; the
  // exclusive create also makes a second, concurrent `lab up` of the same lab back off.
  if (!(await claimState(state))) throw new LabAlreadyUp(`lab "${lab}" is already being brought up: run \`lab test ${lab}\`, or \`lab down ${lab}\` first`);
  try {
    await applyPlan(p.plan, {
      onStep: (step: Step) => {
        checkInterrupted();
        hooks.onStep?.(`${step.name} (${step.ops.length} operations)`);
      },
    });
    checkInterrupted();
    hooks.onStep?.(`workloads (${p.plan.processes.length} processes)`);
    const dir = labStateDir(lab);
    // Containers write their ready file here as soon as they listen: it must exist first.
    await mkdir(join(dir, 'ready'), { recursive: true });
    // Stage by stage: the API server and upstream DNS are ready before the pods that use them.
    const stages = [...new Set(p.plan.processes.map((x) => x.stage ?? 1))].sort((a, b) => a - b);
    for (const stage of stages) {
      checkInterrupted();
      const procs = p.plan.processes.filter((x) => (x.stage ?? 1) === stage);
      const started = procs.map((proc) => ({ proc, pid: startDetached(proc, logFileFor(dir, proc.name)) }));
      for (const { proc, pid } of started) state.processes.push({ name: proc.name, netns: proc.netns, pid });
      await writeState(state);
      await waitForFiles(
        procs.filter((x) => x.readyFile).map((x) => ({ path: join(dir, x.readyFile!), what: x.name, log: logFileFor(dir, x.name) })),
        15_000,
      );
      await waitForUdp(
        [
          ...started.filter(({ proc }) => proc.readyUdpPort !== undefined).map(({ proc, pid }) => ({ pid, port: proc.readyUdpPort!, what: proc.name, log: logFileFor(dir, proc.name) })),
          ...started.filter(({ proc }) => proc.readyTcpPort !== undefined).map(({ proc, pid }) => ({ pid, port: proc.readyTcpPort!, what: proc.name, log: logFileFor(dir, proc.name), tcp: true })),
        ],
        15_000,
      );
    }
    if (p.plan.converged) {
      hooks.onStep?.('routing converged');
      await waitForRoutes(p.plan.converged, 30_000, checkInterrupted);
    }
    state.phase = 'up';
    await writeState(state);
  } catch (e) {
    await teardownLab(lab);
    throw e;
  }
}

export async function downLab(lab: string): Promise<TeardownResult> {
  return teardownLab(lab);
}

export interface TestOptions {
  outDir?: string;
  onExpectation?: (e: ExpectationSpec, index: number) => void;
  onResult?: (r: ExpectationResult, index: number) => void;
}

/** Runs every expectation against a lab that is up; returns the report (and writes --out). */
export async function testLab(p: PreparedLab, opts: TestOptions = {}): Promise<LabReport> {
  const started = Date.now();
  const lab = p.model.lab;
  const state = await readState(lab);
  if (!state || state.phase !== 'up') throw new Error(`lab "${lab}" is not up: run \`lab up ${lab}\` (or \`lab run ${lab}\`)`);
  if (state.digest !== p.digest) throw new Error(`the lab file ${p.loaded.file} changed since \`lab up\`: run \`lab down ${lab}\` and bring it up again`);
  const dead = state.processes.filter((x) => !isAlive(x.pid));
  const results = await runExpectations(p.model, p.loaded.spec.expectations, opts.outDir ? join(opts.outDir, 'pcaps') : undefined, {
    onExpectation: opts.onExpectation,
    checkInterrupted,
  });
  for (const t of p.loaded.spec.reachability) {
    checkInterrupted();
    results.push(await runReachability(p.model, t));
  }
  if (dead.length > 0 && results.some((r) => !r.passed)) {
    const note = `; note: ${dead.map((d) => d.name).join(', ')} ${dead.length === 1 ? 'is' : 'are'} not running`;
    for (const r of results) if (!r.passed) r.message += note;
  }
  const report = buildReport(lab, results, Date.now() - started);
  if (p.warnings.length > 0) report.warnings = p.warnings.map((w) => w.message);
  if (opts.outDir) await writeArtefacts(opts.outDir, report);
  return report;
}

export async function writeArtefacts(outDir: string, report: LabReport): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(outDir, 'junit.xml'), renderJunit(report));
}

export function skippedReport(p: PreparedLab, reason: string): LabReport {
  const skipped = p.loaded.spec.expectations.map((e): ExpectationResult => ({ name: e.name, passed: false, skipped: `skipped: ${reason}`, message: `skipped: ${reason}`, hops: [], durationMs: 0 }));
  return buildReport(p.model.lab, skipped, 0, `skipped: ${reason}`);
}

