// upLab: claim the lab, apply its plan, start its processes stage by stage, wait for routing to
// converge. Anything that fails on the way tears the half-built lab down before it is thrown.
import { applyPlan } from '../kernel/apply.js';
import { startProcesses, VM_SLOWDOWN } from '../kernel/staging.js';
import { waitForRoutes } from '../kernel/readiness.js';
import { claimState, readState, writeState, type LabState } from '../kernel/state.js';
import { teardownLab } from '../kernel/teardown.js';
import { ownedNetns } from '../kernel/netns.js';
import { checkInterrupted } from './interrupt.js';
import { adminClient, applyLabObjects, waitSettled } from './cluster-api.js';
import type { PreparedLab } from './prepare.js';
import { existsSync } from 'node:fs';
import { programsOf } from '../plan/workloads/programs.js';

export class LabAlreadyUp extends Error {}

/** The built programs this lab runs. */
export function neededPrograms(p: PreparedLab): { what: string; path: string }[] {
  const raw = p.loaded.spec.manifests as { spec?: { containers?: { image?: string }[]; template?: { spec?: { containers?: { image?: string }[] } } } }[];
  const images = raw.flatMap((m) => [...(m.spec?.containers ?? []), ...(m.spec?.template?.spec?.containers ?? [])]).map((c) => String(c.image ?? ''));
  return programsOf({
    controlPlane: p.model.controlPlane,
    images,
    internetHosts: p.model.externals.some((h) => h.kind === 'internet'),
    kubectlSteps: p.loaded.spec.expectations.some((e) => e.kubectl !== undefined),
  });
}

export interface UpHooks {
  onStep?: (title: string) => void;
}

/** How long a lab with a control plane may take to settle after its objects are applied. */
const SETTLE_TIMEOUT_MS = Number(process.env.WIRELAB_SETTLE_TIMEOUT_MS ?? 120_000 * Math.min(VM_SLOWDOWN, 5));

/** Brings the lab up; returns notes on pods that settled without becoming ready. */
export async function upLab(p: PreparedLab, hooks: UpHooks = {}): Promise<string[]> {
  const lab = p.model.lab;
  const missing = neededPrograms(p).filter((x) => (x.path.includes('/') ? !existsSync(x.path) : false));
  if (missing.length > 0)
    throw new Error(
      `lab "${lab}" runs ${missing.map((x) => `${x.what} (${x.path})`).join(', ')}, not built on this machine: run \`sudo bash scripts/setup.sh\` (it builds the Kubernetes components and CoreDNS from source, about 10 minutes the first time)`,
    );
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
    ...(p.overrides?.kubeProxy ? { kubeProxy: p.overrides?.kubeProxy } : {}),
  };
  // Written before anything exists, so an interrupted `up` is still torn down completely; the
  // exclusive create also makes a second, concurrent `lab up` of the same lab back off.
  if (!(await claimState(state))) throw new LabAlreadyUp(`lab "${lab}" is already being brought up: run \`lab test ${lab}\`, or \`lab down ${lab}\` first`);
  try {
    await applyPlan(p.plan, {
      onStep: (step) => {
        checkInterrupted();
        hooks.onStep?.(`${step.name} (${step.ops.length} operations)`);
      },
    });
    checkInterrupted();
    hooks.onStep?.(`workloads (${p.plan.processes.length} processes)`);
    await startProcesses(lab, p.plan.processes, {
      checkInterrupted,
      onStarted: async (started) => {
        state.processes.push(...started);
        await writeState(state);
      },
      onStageReady: (names) => hooks.onStep?.(`ready: ${names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ')}`),
    });
    if (p.plan.converged) {
      hooks.onStep?.('routing converged');
      await waitForRoutes(p.plan.converged, 30_000, checkInterrupted);
    }
    let notes: string[] = [];
    if (p.model.controlPlane === 'kubernetes') {
      const client = adminClient(lab);
      try {
        await applyLabObjects(p.loaded, p.model, client, (s) => hooks.onStep?.(`applying ${s}`));
        hooks.onStep?.('waiting for every pod and node agent');
        notes = await waitSettled(p.model, client, SETTLE_TIMEOUT_MS, (moving) => hooks.onStep?.(`still waiting: ${moving.slice(0, 3).join('; ')}`));
      } finally {
        client.close();
      }
    }
    state.phase = 'up';
    await writeState(state);
    return notes;
  } catch (e) {
    await teardownLab(lab);
    throw e;
  }
}
