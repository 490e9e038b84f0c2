// tcpdump processes: started inside a namespace, confirmed listening before any traffic is
// sent, stopped with SIGINT so they flush, and their pcap written by us.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PROCESS_MARKER } from '../model/names.js';

export interface RunningCapture {
  netns: string;
  iface: string;
  file: string;
  stop(): Promise<void>;
}

export async function startCapture(lab: string, netns: string, iface: string, argv: string[], file: string, timeoutMs = 5000): Promise<RunningCapture> {
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [PROCESS_MARKER]: lab },
  });
  child.stdout!.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const written = new Promise<void>((resolve) => out.once('close', () => resolve()));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump on ${iface} in netns "${netns}" did not start listening within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`failed to capture on ${iface} in netns "${netns}" (tcpdump exit ${code}): ${stderr.trim()}`));
    });
  });
  return {
    netns,
    iface,
    file,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      await written;
    },
  };
}
