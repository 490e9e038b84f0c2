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
  argv: string[];
  flow: Flow;
  timeoutMs: number;
}

export interface ProbeOutcome {
  reply: boolean;
  /** HTTP body or TCP data. */
  body?: string;
  /** What the client printed when it failed. */
  error?: string;
  exitCode: number;
}

export function buildProbe(send: SendSpec, srcIp: string, dstIp: string): Probe {
  if (send.ping) {
    const p = send.ping;
    const argv = ['ping', '-n', '-c', String(p.count), '-i', '0.2', '-W', '2', '-s', String(p.size)];
    if (p.dontFragment) argv.push('-M', 'do');
    argv.push(dstIp);
    return { kind: 'ping', argv, flow: { protocol: 'icmp', src: srcIp, dst: dstIp }, timeoutMs: 3000 + p.count * 400 };
  }
  if (send.http) {
    const url = `http://${dstIp}:${send.http.port}${send.http.path}`;
    return { kind: 'http', argv: ['curl', '-sS', '--max-time', '3', '--noproxy', '*', url], flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: send.http.port }, timeoutMs: 5000 };
  }
  const port = send.tcp!.port;
  return { kind: 'tcp', argv: [process.execPath, AGNHOST_SCRIPT, 'connect', `${dstIp}:${port}`, '--timeout=3s'], flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: port }, timeoutMs: 5000 };
}

export function readOutcome(probe: Probe, r: { stdout: string; stderr: string; exitCode: number }): ProbeOutcome {
  const text = `${r.stderr}\n${r.stdout}`.trim();
  if (probe.kind === 'ping') {
    // iputils ping: exit 0 when at least one reply came back.
    return { reply: r.exitCode === 0, error: r.exitCode === 0 ? undefined : text, exitCode: r.exitCode };
  }
  if (r.exitCode === 0) return { reply: true, body: r.stdout, exitCode: 0 };
  return { reply: false, error: text, exitCode: r.exitCode };
}
