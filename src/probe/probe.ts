// Probes: the traffic an expectation sends, as argv run inside the sender's namespace (real
// ping, real curl, agnhost's connect), and how their output is read. Building and reading are
// pure; kernel/exec.ts runs them.
import type { SendSpec } from '../spec/schema.js';
import { AGNHOST_SCRIPT } from '../workload/containers.js';

export type Protocol = 'icmp' | 'tcp' | 'udp';

export interface Flow {
  protocol: Protocol;
  src: string;
  dst: string;
  dstPort?: number;
}

export interface Probe {
  kind: 'ping' | 'http' | 'tcp';
  /** One or more commands run one after the other (repeat for tcp). */
  runs: string[][];
  flow: Flow;
  timeoutMs: number;
  /** How many answers are expected in total (repeat). */
  count: number;
}

/** The request, sent `repeat` times. HTTP repeats are one curl with "Connection: close", so
 * that every request is a new connection (kube-proxy balances connections, not requests), and
 * a newline after each body to tell the answers apart. */
export function buildProbe(send: SendSpec, srcIp: string, dstIp: string, port?: number): Probe {
  const repeat = send.repeat;
  if (send.ping) {
    const p = send.ping;
    const argv = ['ping', '-n', '-c', String(p.count), '-i', '0.2', '-W', '2', '-s', String(p.size)];
    if (p.dontFragment) argv.push('-M', 'do');
    argv.push(dstIp);
    return { kind: 'ping', runs: [argv], flow: { protocol: 'icmp', src: srcIp, dst: dstIp }, timeoutMs: 3000 + p.count * 400, count: 1 };
  }
  if (send.http) {
    const url = `http://${dstIp}:${port}${send.http.path}`;
    const argv = ['curl', '-sS', '--max-time', '3', '--noproxy', '*', '-H', 'Connection: close', '-w', '\\n', ...Array(repeat).fill(url)];
    return { kind: 'http', runs: [argv], flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: port }, timeoutMs: 5000 + repeat * 100, count: repeat };
  }
  const argv = [process.execPath, AGNHOST_SCRIPT, 'connect', `${dstIp}:${port}`, '--timeout=3s'];
  return { kind: 'tcp', runs: Array(repeat).fill(argv), flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: port }, timeoutMs: 5000, count: repeat };
}

export interface ProbeOutcome {
  /** Every request was answered (ping: at least one reply). */
  reply: boolean;
  /** HTTP bodies or TCP data, one per answered request. */
  bodies: string[];
  /** What the client printed when a request failed. */
  error?: string;
  exitCode: number;
}

export function readOutcome(probe: Probe, results: { stdout: string; stderr: string; exitCode: number }[]): ProbeOutcome {
  const failed = results.find((r) => r.exitCode !== 0);
  const error = failed ? `${failed.stderr}\n${failed.stdout}`.trim() : undefined;
  if (probe.kind === 'ping') {
    // iputils ping: exit 0 when at least one reply came back.
    return { reply: !failed, bodies: [], error, exitCode: failed?.exitCode ?? 0 };
  }
  const bodies = probe.kind === 'http' ? results.flatMap((r) => r.stdout.split('\n').slice(0, -1)) : results.filter((r) => r.exitCode === 0).map((r) => r.stdout);
  return { reply: !failed && bodies.length === probe.count, bodies, error, exitCode: failed?.exitCode ?? 0 };
}
