// Starting a lab's long-running processes stage by stage (the API server and the upstream DNS
// before the pods that use them), each stage ready before the next starts, exactly as
// commands.ts describes them (`lab up --dry-run` prints the same).
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { labStateDir } from '../model/names.js';
import type { ProcessSpec } from '../plan/types.js';
import { processCommand } from './commands.js';
import { record } from './apply.js';
import { startDetached } from './processes.js';
import { waitForFiles, waitForHttps, waitForListening } from './readiness.js';

export interface StartedProcess {
  name: string;
  netns: string;
  pid: number;
}

export interface StagingHooks {
  /** Called with every stage's processes once they are started (before they are ready), so the
   * caller can record them for teardown. */
  onStarted?: (started: StartedProcess[]) => Promise<void>;
  checkInterrupted?: () => void;
  timeoutMs?: number;
  /** How long an API server may take to answer /readyz (longer under emulation). */
  httpsTimeoutMs?: number;
  /** Called once a stage's processes are all ready, with their names. */
  onStageReady?: (names: string[]) => void;
}

/** Inside a lab VM (`--kernel`, WIRELAB_IN_VM) every process may start this many times slower:
 * under TCG a node agent (Node.js) took over 15 s to print its first line, so `lab up` of a lab
 * with the real control plane failed there ("not ready after 15000 ms: node02/node-agent"); on a
 * busy host they took 2 minutes to report their pod network. Only a failure waits this long. */
export const VM_SLOWDOWN = process.env.WIRELAB_IN_VM ? 20 : 1;

export async function startProcesses(lab: string, processes: ProcessSpec[], hooks: StagingHooks = {}): Promise<void> {
  const dir = labStateDir(lab);
  const timeoutMs = (hooks.timeoutMs ?? 15_000) * VM_SLOWDOWN;
  // Containers write their ready file here as soon as they listen: it must exist first.
  await mkdir(join(dir, 'ready'), { recursive: true });
  const commands = processes.map((p) => ({ spec: p, cmd: processCommand(lab, p) }));
  for (const stage of [...new Set(commands.map((c) => c.cmd.stage))].sort((a, b) => a - b)) {
    hooks.checkInterrupted?.();
    const mine = commands.filter((c) => c.cmd.stage === stage);
    const started = mine.map(({ spec, cmd }) => {
      record({ process: cmd });
      return { spec, cmd, pid: startDetached(cmd) };
    });
    await hooks.onStarted?.(started.map((s) => ({ name: s.spec.name, netns: s.spec.netns, pid: s.pid })));
    await waitForFiles(
      started.filter((s) => s.spec.readyFile).map((s) => ({ path: join(dir, s.spec.readyFile!), what: s.spec.name, log: s.cmd.log })),
      timeoutMs,
    );
    await waitForListening(
      started.flatMap((s) => [
        ...(s.spec.readyUdpPort !== undefined ? [{ pid: s.pid, port: s.spec.readyUdpPort, what: s.spec.name, log: s.cmd.log }] : []),
        ...(s.spec.readyTcpPort !== undefined ? [{ pid: s.pid, port: s.spec.readyTcpPort, what: s.spec.name, log: s.cmd.log, tcp: true }] : []),
      ]),
      timeoutMs,
    );
    await waitForHttps(
      started.flatMap((s) => (s.spec.readyHttps ? [{ pid: s.pid, what: s.spec.name, log: s.cmd.log, ...s.spec.readyHttps }] : [])),
      (hooks.httpsTimeoutMs ?? 60_000) * VM_SLOWDOWN,
    );
    hooks.onStageReady?.(mine.map((c) => c.spec.name));
  }
}
