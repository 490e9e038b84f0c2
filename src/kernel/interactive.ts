// `lab exec`: a command with the user's terminal attached, inside a lab namespace.
import { spawn } from 'node:child_process';

export function execInNetns(netns: string, cmd: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...cmd], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', (e) => {
      console.error(`failed to run ${cmd[0]} in netns "${netns}": ${e.message}`);
      resolve(127);
    });
  });
}
