// A capture session: tcpdump on every capture point the expectations name, all listening before
// the first probe, one pcap per point for the whole run (the --out contract), read back and
// decoded when the session stops. A point that cannot be captured (its interface is gone) is
// reported as broken instead of failing the run: the hops there fail with the reason.
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { netnsName } from '../model/names.js';
import { startCapture, type RunningCapture } from '../kernel/capture.js';
import { pcapFileName, tcpdumpArgv } from './tcpdump.js';
import { readPcapFile, type CapturedPacket } from './pcap.js';
import type { CapturePoint } from './merge.js';

/** What the captures saw, by capture point ("w1/eth0"). */
export interface Captured {
  packetsAt: Map<string, CapturedPacket[]>;
  /** Capture points that could not be captured, with the reason. */
  broken: Map<string, string>;
  /** The pcap of each point that was captured, in the order the points were named. */
  files: CapturePoint[];
}

export interface CaptureSession {
  stop(): Promise<Captured>;
}

export async function startCaptures(lab: string, points: string[], pcapDir: string): Promise<CaptureSession> {
  await rm(pcapDir, { recursive: true, force: true });
  await mkdir(pcapDir, { recursive: true });
  const list = [...new Set(points)].map((at) => {
    const [where, iface] = at.split('/');
    return { at, iface, netns: netnsName(lab, where), file: join(pcapDir, pcapFileName(where, iface)) };
  });
  const broken = new Map<string, string>();
  const running: { at: string; capture: RunningCapture }[] = [];
  const started = await Promise.allSettled(list.map((pt) => startCapture(lab, pt.netns, pt.iface, tcpdumpArgv(pt.iface), pt.file)));
  started.forEach((r, k) => {
    if (r.status === 'fulfilled') running.push({ at: list[k].at, capture: r.value });
    else broken.set(list[k].at, (r.reason as Error).message.split('\n')[0]);
  });
  let stopped: Promise<Captured> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        await Promise.all(running.map((r) => r.capture.stop()));
        const packetsAt = new Map<string, CapturedPacket[]>();
        for (const r of running) packetsAt.set(r.at, await readPcapFile(r.capture.file));
        const files = running.map((r) => ({ at: r.at, file: r.capture.file, description: `${r.capture.iface} in network namespace ${r.capture.netns}` }));
        return { packetsAt, broken, files };
      })();
      return stopped;
    },
  };
}
