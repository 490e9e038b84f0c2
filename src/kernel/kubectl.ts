// kubectl against a lab's API server, as the lab's admin: with the user's terminal (`lab
// kubectl`), or captured (a lab file's kubectl steps). The kubeconfig reaches the API server
// through the loopback relay `lab up` starts on this machine.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { labStateDir } from '../model/names.js';
import { ADMIN_KUBECONFIG } from '../plan/control-plane/paths.js';
import { kubectlBin } from '../plan/workloads/programs.js';
import { run } from './exec.js';

export const adminKubeconfig = (lab: string) => join(labStateDir(lab), ADMIN_KUBECONFIG);

export function kubectlInteractive(lab: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(kubectlBin(), args, { stdio: 'inherit', env: { ...process.env, KUBECONFIG: adminKubeconfig(lab) } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', (e) => {
      console.error(`failed to run kubectl (${kubectlBin()}): ${e.message}; run scripts/setup.sh to build it`);
      resolve(127);
    });
  });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runKubectl(lab: string, args: string[], timeoutMs = 30_000, input?: string): Promise<KubectlResult> {
  const r = await run([kubectlBin(), ...args], { allowFailure: true, env: { KUBECONFIG: adminKubeconfig(lab) }, timeoutMs, input });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
