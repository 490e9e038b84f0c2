// compare-backends' measurements between two pods, all taken for real:
// - the encapsulation overhead: frame length on the underlay minus on the sender's eth0, from
//   captures of one ping (0 when routed, 50 for VXLAN, 20 for IP-in-IP);
// - the path MTU: the largest DF ping that gets an answer (binary search), plus 28;
// - the round-trip time: ping's average over 20 echoes;
// - TCP throughput: iperf3 for 2 seconds (iperf3's own measurement of received bits).
import { join } from 'node:path';
import { netnsName } from '../model/names.js';
import { run } from '../kernel/exec.js';
import { startCapture } from '../kernel/capture.js';
import { startDetached } from '../kernel/processes.js';
import { inNetns, processLogFile } from '../kernel/commands.js';
import { labStateDir, PROCESS_MARKER } from '../model/names.js';
import { readPcapFile } from '../capture/pcap.js';
import { innermost } from '../capture/decode.js';
import { tcpdumpArgv } from '../capture/tcpdump.js';
import { parseIperf, parsePingAvg } from './probe.js';

/** iperf3 -J: the received bits per second as Mbit/s. */
export function parseIperfMbps(json: string): number | null {
  return parseIperf(json)?.mbps ?? null;
}

async function ping(netns: string, dst: string, size: number, df: boolean, count = 1): Promise<{ ok: boolean; out: string }> {
  const argv = ['ping', '-n', '-q', '-c', String(count), '-i', '0.05', '-W', '1', '-s', String(size), ...(df ? ['-M', 'do'] : []), dst];
  const r = await run(argv, { netns, allowFailure: true, timeoutMs: 10_000 });
  return { ok: r.exitCode === 0, out: r.stdout + r.stderr };
}

/** The largest DF payload that gets an answer, by binary search; the path MTU adds 28. */
export async function pathMtu(netns: string, dst: string): Promise<number | null> {
  let lo = 0;
  let hi = 9000 - 28;
  if (!(await ping(netns, dst, lo, true)).ok) return null;
  while (lo < hi) {
    const probe = Math.floor((lo + hi + 1) / 2);
    if ((await ping(netns, dst, probe, true)).ok) lo = probe;
    else hi = probe - 1;
  }
  return lo + 28;
}

export async function rttMs(netns: string, dst: string): Promise<number | null> {
  return parsePingAvg((await ping(netns, dst, 56, false, 20)).out);
}

/** Frame length of one ping on the underlay minus on the sender's eth0; null without an
 * underlay point (same node). Captures go to `dir` as <label>_<where>_<iface>.pcap. */
export async function encapsulationOverhead(
  lab: string,
  from: string,
  dstIp: string,
  underlay: string | undefined,
  dir: string,
  label: string,
): Promise<number | null> {
  const points = [`${from}/eth0`, ...(underlay ? [underlay] : [])];
  const caps = await Promise.all(
    points.map((pt) => {
      const [where, iface] = pt.split('/');
      return startCapture(lab, netnsName(lab, where), iface, tcpdumpArgv(iface), join(dir, `${label.replace(/\W+/g, '-')}_${where}_${iface}.pcap`));
    }),
  );
  await ping(netnsName(lab, from), dstIp, 56, false, 1);
  await new Promise((r) => setTimeout(r, 100));
  await Promise.all(caps.map((c) => c.stop()));
  const lengths = await Promise.all(
    caps.map(async (c) => {
      const pkts = await readPcapFile(c.file);
      const p = pkts.find((x) => innermost(x.frame).ipv4?.dst === dstIp && innermost(x.frame).icmp?.type === 8);
      return p ? p.originalLength : null;
    }),
  );
  return underlay && lengths[0] !== null && lengths[1] !== null ? lengths[1] - lengths[0] : null;
}

/** iperf3: a one-off server in the destination pod, the client in the source pod. */
export async function throughputMbps(lab: string, from: string, to: string, dstIp: string): Promise<number | null> {
  const name = `${to}/iperf3`;
  startDetached({
    name,
    argv: inNetns(netnsName(lab, to), ['iperf3', '-s', '-1', '-p', '5201']),
    env: { [PROCESS_MARKER]: lab },
    log: processLogFile(labStateDir(lab), name),
    stage: 1,
  });
  await new Promise((r) => setTimeout(r, 300));
  const r = await run(['iperf3', '-c', dstIp, '-p', '5201', '-t', '2', '-J'], { netns: netnsName(lab, from), allowFailure: true, timeoutMs: 15_000 });
  return parseIperfMbps(r.stdout);
}
