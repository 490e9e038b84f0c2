// Sending a probe for real: its commands, one after the other, inside the sender's namespace,
// with the server it needs (a transfer's iperf3) running in the destination's meanwhile.
import { run, type RunResult } from '../kernel/exec.js';
import { inNetns, processLogFile } from '../kernel/commands.js';
import { startDetached, stopProcesses, isAlive } from '../kernel/processes.js';
import { waitForListening } from '../kernel/readiness.js';
import { labStateDir, PROCESS_MARKER } from '../model/names.js';
import type { Probe } from './probe.js';

export async function runProbe(lab: string, netns: string, probe: Probe, serverNetns?: string): Promise<RunResult[]> {
  let server: number | undefined;
  if (probe.server && serverNetns) {
    const name = `probe/${probe.server.argv[0]}`;
    const log = processLogFile(labStateDir(lab), name);
    server = startDetached({ name, argv: inNetns(serverNetns, probe.server.argv), env: { [PROCESS_MARKER]: lab }, log, stage: 1 });
    await waitForListening([{ pid: server, port: probe.server.tcpPort, what: name, log, tcp: true }], 10_000);
  }
  try {
    const results: RunResult[] = [];
    for (const argv of probe.runs) results.push(await run(argv, { netns, allowFailure: true, timeoutMs: probe.timeoutMs }));
    return results;
  } finally {
    if (server !== undefined && isAlive(server)) await stopProcesses([server]);
  }
}
