// Teardown: stop the lab's processes, delete its namespaces (which takes every device, route,
// neighbour and rule inside with them: one fast operation instead of ~15 ms per link), remove
// its state. "Not found" is success, so teardown can run twice or after a crash.
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';
import { ownedNetns } from './netns.js';
import { findLabProcesses, markedPids, stopProcesses } from './processes.js';
import { readState, removeStateDir } from './state.js';
import { STATE_ROOT, labOfNetns } from '../model/names.js';

export interface TeardownResult {
  namespaces: string[];
  processes: number;
}

async function deleteNamespaces(names: string[]): Promise<void> {
  if (names.length === 0) return;
  // -force: keep going past a namespace that vanished meanwhile.
  await run(['ip', '-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}`).join('\n') + '\n', allowFailure: true });
  for (const n of names) await rm(`/etc/netns/${n}`, { recursive: true, force: true });
}

export async function teardownLab(lab: string): Promise<TeardownResult> {
  const state = await readState(lab);
  const present = await ownedNetns(lab);
  const namespaces = [...new Set([...(state?.namespaces ?? []), ...present])].filter((n) => labOfNetns(n) === lab);
  // One scan of /proc finds every process inside the lab's namespaces or carrying its marker.
  // Recorded pids are not killed blindly: a pid may have been reused by an unrelated process.
  // The harness starts every process inside a lab namespace, so while they all exist the
  // namespace inodes find them; the environment marker (reading every process's environ) is
  // only needed when some namespace is already gone (an interrupted run).
  const allPresent = state !== undefined && state.namespaces.every((n) => present.includes(n));
  const found = await findLabProcesses(namespaces, lab, !allPresent);
  // Processes outside any lab namespace (the loopback relay to the API server) are recorded.
  const recorded = await markedPids(
    (state?.processes ?? []).filter((p) => p.netns === '').map((p) => p.pid),
    lab,
  );
  const pids = [...new Set([...found, ...recorded])];
  await stopProcesses(pids);
  // A node agent that was starting a pod when it got SIGTERM may have made the pod's namespace
  // and processes after the scan above; it is gone now, so one more scan finds all it left.
  const late = (await ownedNetns(lab)).filter((n) => !present.includes(n));
  const latePids = late.length > 0 ? await findLabProcesses(late, lab, false) : [];
  await stopProcesses(latePids);
  await deleteNamespaces([...present, ...late]);
  await removeStateDir(lab);
  return { namespaces: [...present, ...late], processes: pids.length + latePids.length };
}

/** Labs that have anything on this machine: state, namespaces or marked processes. */
export async function labsPresent(): Promise<string[]> {
  const labs = new Set<string>();
  for (const ns of await ownedNetns()) labs.add(labOfNetns(ns)!);
  try {
    for (const d of await readdir(STATE_ROOT)) labs.add(d);
  } catch {
    /* no state root */
  }
  return [...labs].sort();
}

/** `lab clean`: every lab's leftovers, and marked processes whose lab is unknown. */
export async function cleanAll(): Promise<TeardownResult> {
  const result: TeardownResult = { namespaces: [], processes: 0 };
  for (const lab of await labsPresent()) {
    const r = await teardownLab(lab);
    result.namespaces.push(...r.namespaces);
    result.processes += r.processes;
  }
  // Marked processes whose lab is unknown, and VMs of `--kernel` runs (marked too).
  const strays = await findLabProcesses([], undefined);
  await stopProcesses(strays);
  result.processes += strays.length;
  // A VM's work directory (its initramfs, exit codes) that a killed `lab` left in /tmp.
  for (const d of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (/^wirelab-vm-[A-Za-z0-9]{6}$/.test(d)) await rm(join(tmpdir(), d), { recursive: true, force: true });
  }
  return result;
}
