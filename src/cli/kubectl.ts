// `lab kubectl <lab> -- <args>`: kubectl against the lab's API server, as its admin (the
// kubeconfig `lab up` wrote); `lab env <lab>`: the same for a shell, as `export` lines.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { readState } from '../kernel/state.js';
import { adminKubeconfig, kubectlInteractive } from '../kernel/kubectl.js';
import { kubectlBin } from '../plan/workloads/programs.js';
import { shellQuote } from '../shell-quote.js';
import { labNameFromArg, requireRoot } from './common.js';

/** The lab's admin kubeconfig, or why there is none. */
async function kubeconfigOf(labArg: string): Promise<{ lab: string; kubeconfig: string } | { error: string }> {
  const lab = await labNameFromArg(labArg);
  const state = await readState(lab);
  if (!state) return { error: `lab "${lab}" is not up: run \`lab up ${lab}\` first` };
  const kubeconfig = adminKubeconfig(lab);
  if (!existsSync(kubeconfig)) return { error: `lab "${lab}" runs without a control plane (cluster.controlPlane: none): there is no API server for kubectl` };
  return { lab, kubeconfig };
}

export async function cmdKubectl(labArg: string, args: string[]): Promise<number> {
  requireRoot();
  const k = await kubeconfigOf(labArg);
  if ('error' in k) {
    console.error(k.error);
    return 2;
  }
  return kubectlInteractive(k.lab, args);
}

export async function cmdEnv(labArg: string): Promise<number> {
  requireRoot();
  const k = await kubeconfigOf(labArg);
  if ('error' in k) {
    console.error(k.error);
    return 2;
  }
  const bin = kubectlBin();
  const lines = [`export KUBECONFIG=${shellQuote(k.kubeconfig)}`];
  // kubectl built by setup lives in .wirelab/bin; a fresh VM has no other.
  if (bin.includes('/')) lines.push(`export PATH=${shellQuote(dirname(bin))}:"$PATH"`);
  console.log(lines.join('\n'));
  console.error(`# eval "$(sudo lab env ${k.lab})" and kubectl talks to lab ${k.lab} (as root: the kubeconfig's keys are root's)`);
  return 0;
}
