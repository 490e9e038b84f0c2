// `lab exec`: a command with the user's terminal attached, inside a lab namespace; in a pod, as
// `kubectl exec` runs it there (the pod's hostname, runc's error for a command it cannot find).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { podExecArgv } from './pod-exec.js';

/** A pod's namespace: the sandbox gave it its own resolv.conf (nodes and the underlay use the host's). */
export const isPodNetns = (netns: string) => existsSync(`/etc/netns/${netns}/resolv.conf`);

export function execInNetns(netns: string, cmd: string[], pod?: string): Promise<number> {
  // The user's terminal, if any, is the command's: it needs no terminal of its own.
  const argv = pod ? podExecArgv(netns, pod, cmd, false) : ['ip', 'netns', 'exec', netns, ...cmd];
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', (e) => {
      console.error(`failed to run ${cmd[0]} in netns "${netns}": ${e.message}`);
      resolve(127);
    });
  });
}
