// nftables traces of one flow inside a lab namespace: our trace table marks the flow, `nft
// monitor trace` (marked with the lab, like captures, so `lab clean` finds it) prints the kernel's
// trace events, and stop() takes both away again and returns what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { PROCESS_MARKER, labOfNetns } from '../model/names.js';
import { traceTableDeleteRules, traceTableRules, type TraceMatch } from './trace-table.js';
import { inNetns, run } from './exec.js';

export interface RunningTrace {
  netns: string;
  match: TraceMatch;
  /** Waits until the monitor has printed every event the kernel queued for it, stops it,
   * deletes the trace table and returns what `nft monitor trace` printed (capture/nft-trace.ts
   * parses it). Safe to call more than once. */
  stop(): Promise<string>;
}

/** nfnetlink (NETLINK_NETFILTER) and its trace multicast group NFNLGRP_NFTRACE (9). */
const NETLINK_NETFILTER = 12;
const NFTRACE_GROUP_BIT = 1 << (9 - 1);

interface NetlinkSocket {
  inode: string;
  rmem: number;
}

/** The process's nfnetlink sockets that receive trace events, read from its own view of
 * /proc/net/netlink (which is that of its network namespace). */
async function traceSockets(pid: number): Promise<NetlinkSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]);
  }
  if (inodes.size === 0) return [];
  const found: NetlinkSocket[] = [];
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  for (const line of (await readFile(`/proc/${pid}/net/netlink`, 'utf8')).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || Number(f[1]) !== NETLINK_NETFILTER) continue;
    if ((parseInt(f[3], 16) & NFTRACE_GROUP_BIT) === 0 || !inodes.has(f[9])) continue;
    found.push({ inode: f[9], rmem: Number(f[4]) });
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTrace(netns: string, match: TraceMatch = {}, timeoutMs = 5000): Promise<RunningTrace> {
  const lab = labOfNetns(netns);
  if (lab === undefined) throw new Error(`refusing to trace in "${netns}": not a namespace of the harness`);
  if (!existsSync(`/run/netns/${netns}`)) throw new Error(`cannot trace in netns "${netns}": it does not exist`);
  const rules = traceTableRules(match);
  const removeTable = async () => {
    if (!existsSync(`/run/netns/${netns}`)) return;
    const r = await run(['nft', '-f', '-'], { netns, netOnly: true, input: traceTableDeleteRules(), allowFailure: true });
    if (r.exitCode !== 0 && !/No such file or directory/.test(r.stderr)) {
      throw new Error(`failed to delete the trace table in netns "${netns}": ${r.stderr.trim()}`);
    }
  };

  await run(['nft', '-f', '-'], { netns, netOnly: true, input: rules });

  const argv = inNetns(netns, ['nft', 'monitor', 'trace'], true);
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [PROCESS_MARKER]: lab },
  });
  let stdout = '';
  let stderr = '';
  let lastOutput = performance.now();
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    stdout += d;
    lastOutput = performance.now();
  });
  child.stderr!.on('data', (d: string) => (stderr += d));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null && exitCode === undefined;
  const kill = async () => {
    if (alive()) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  // nft prints nothing until the first event, so readiness is read from the kernel: once its
  // socket has joined the trace group, every later event is queued for it.
  try {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!alive() || child.pid === undefined) throw new Error(`nft monitor trace exited (code ${exitCode ?? child.exitCode}): ${stderr.trim()}`);
      const sockets = await traceSockets(child.pid).catch(() => []);
      if (sockets.length > 0) break;
      if (performance.now() > deadline) throw new Error(`did not subscribe to trace events within ${timeoutMs} ms: ${stderr.trim()}`);
      await sleep(10);
    }
  } catch (err) {
    await kill();
    await removeTable().catch(() => undefined);
    throw new Error(`failed to start nft monitor trace in netns "${netns}": ${(err as Error).message}`, { cause: err });
  }

  let stopping: Promise<string> | undefined;
  return {
    netns,
    match,
    stop() {
      stopping ??= (async () => {
        // Let nft drain its socket and print: its receive queue is empty and it has been quiet
        // for a moment (bounded, so a busy flow cannot keep us here).
        const deadline = performance.now() + 2000;
        while (alive() && child.pid !== undefined && performance.now() < deadline) {
          const sockets = await traceSockets(child.pid).catch(() => []);
          if (sockets.every((s) => s.rmem === 0) && performance.now() - lastOutput >= 50) break;
          await sleep(10);
        }
        const diedEarly = !alive() && exitCode !== null && exitCode !== 0;
        await kill();
        await removeTable();
        if (diedEarly) throw new Error(`nft monitor trace in netns "${netns}" exited with code ${exitCode}: ${stderr.trim()}`);
        return stdout;
      })();
      return stopping;
    },
  };
}
