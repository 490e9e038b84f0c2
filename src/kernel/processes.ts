// Long-running processes inside lab namespaces (pause, containers, daemons, captures): starting
// them detached, finding them again (by namespace inode or by the harness's environment marker),
// stopping them.
import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PROCESS_MARKER } from '../model/names.js';
import type { ProcessCommand } from './commands.js';
import { netnsInode } from './netns.js';

/** Starts a detached process exactly as commands.ts describes it; it outlives this CLI (for
 * `lab up`). Returns its pid. */
export function startDetached(p: ProcessCommand): number {
  mkdirSync(dirname(p.log), { recursive: true });
  const fd = openSync(p.log, 'a');
  try {
    const child = spawn(p.argv[0], p.argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...p.env } });
    child.unref();
    if (child.pid === undefined) throw new Error(`failed to start ${p.name}: ${p.argv.join(' ')}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Running (a zombie whose parent has not reaped it yet counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function isZombieOrGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Processes whose network namespace is one of the given ones, or that carry the marker for
 * the lab (any lab when lab is undefined). Scans /proc once; starts no process. */
export async function findLabProcesses(netnsNames: string[], lab: string | undefined, byMarker = true): Promise<number[]> {
  const inodes = new Set<string>();
  for (const ns of netnsNames) {
    const ino = await netnsInode(ns);
    if (ino !== undefined) inodes.add(`net:[${ino}]`);
  }
  const self = process.pid;
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === self || pid === 1) continue;
    try {
      if (inodes.size > 0 && inodes.has(await readlink(`/proc/${pid}/ns/net`))) {
        found.push(pid);
        continue;
      }
      if (!byMarker) continue;
      const env = await readFile(`/proc/${pid}/environ`, 'latin1');
      const marker = env.split('\0').find((kv) => kv.startsWith(`${PROCESS_MARKER}=`));
      if (marker && (lab === undefined || marker === `${PROCESS_MARKER}=${lab}`)) found.push(pid);
    } catch {
      // exited meanwhile, or a kernel thread without environ
    }
  }
  return found;
}

/** Of these pids, the ones still running with the lab's marker (a recorded pid may have been
 * reused by an unrelated process since). */
export async function markedPids(pids: number[], lab: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of pids) {
    const env = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (env.split('\0').includes(`${PROCESS_MARKER}=${lab}`)) out.push(pid);
  }
  return out;
}

/** SIGTERM, then SIGKILL for whatever is still there after graceMs. Gone already is success. */
export async function stopProcesses(pids: number[], graceMs = 1000): Promise<void> {
  const live = pids.filter(isAlive);
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = performance.now() + graceMs;
  let remaining = live;
  while (remaining.length > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    const next: number[] = [];
    for (const pid of remaining) if (!(await isZombieOrGone(pid))) next.push(pid);
    remaining = next;
  }
  for (const pid of remaining) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
