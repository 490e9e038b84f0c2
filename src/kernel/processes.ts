// Long-running processes inside lab namespaces (pause, containers, captures): starting them,
// finding them again (by namespace inode or by the harness's environment marker), stopping them.
import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PROCESS_MARKER } from '../model/names.js';
import type { ProcessSpec } from '../plan/types.js';
import { netnsInode } from './netns.js';

/** Starts a detached process inside its namespace; it outlives this CLI (for `lab up`). */
export function startDetached(spec: ProcessSpec, logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', spec.netns, ...spec.argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`failed to start ${spec.name} in netns "${spec.netns}"`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Waits until each file exists; fails naming the ones that did not appear (with their logs). */
export async function waitForFiles(files: { path: string; what: string; log?: string }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = files;
  while (pending.length > 0) {
    pending = pending.filter((f) => !existsSync(f.path));
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const details = await Promise.all(pending.map(async (f) => `${f.what}${f.log ? `: ${(await readFile(f.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ') || 'no output'}` : ''}`));
      throw new Error(`not ready after ${timeoutMs} ms: ${details.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 10));
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
  const deadline = Date.now() + graceMs;
  let remaining = live;
  while (remaining.length > 0 && Date.now() < deadline) {
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

export function logFileFor(stateDir: string, name: string): string {
  return join(stateDir, 'logs', `${name.replace(/\//g, '_')}.log`);
}

/** Whether a socket in the process's network namespace is bound to the UDP port (read from
 * /proc/<pid>/net/udp and udp6, which show that namespace's sockets). */
export async function listensUdp(pid: number, port: number): Promise<boolean> {
  return listens(pid, port, ['udp', 'udp6']);
}

/** TCP: a socket in LISTEN state (0A) on the port. */
export async function listensTcp(pid: number, port: number): Promise<boolean> {
  return listens(pid, port, ['tcp', 'tcp6'], '0A');
}

async function listens(pid: number, port: number, files: string[], state?: string): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const f of files) {
    const text = await readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '');
    if (text.split('\n').slice(1).some((l) => {
      const cols = l.trim().split(/\s+/);
      return cols[1]?.endsWith(hex) && (state === undefined || cols[3] === state);
    })) return true;
  }
  return false;
}

export async function waitForUdp(items: { pid: number; port: number; what: string; log?: string; tcp?: boolean }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = items;
  while (pending.length > 0) {
    const next = [];
    for (const it of pending) if (!(await (it.tcp ? listensTcp(it.pid, it.port) : listensUdp(it.pid, it.port)))) next.push(it);
    pending = next;
    if (pending.length === 0) return;
    const dead = pending.find((it) => !isAlive(it.pid));
    if (dead || Date.now() > deadline) {
      const details = await Promise.all(pending.map(async (f) => `${f.what}${dead === f ? ' exited' : ''}: ${f.log ? (await readFile(f.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ') || 'no output' : ''}`));
      throw new Error(`not listening on ${pending[0].tcp ? 'TCP' : 'UDP'} ${pending[0].port}${dead ? '' : ` after ${timeoutMs} ms`}: ${details.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
