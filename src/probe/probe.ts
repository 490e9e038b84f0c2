// Probes: the traffic an expectation sends, as argv run inside the sender's namespace (real
// ping, real curl, socat for a bare TCP connection), and how their output is read. Building and reading are
// pure; kernel/exec.ts runs them.
import type { SendSpec } from '../labfile/schema.js';

export type Protocol = 'icmp' | 'tcp' | 'udp';

export interface Flow {
  protocol: Protocol;
  src: string;
  dst: string;
  dstPort?: number;
}

export interface Probe {
  kind: 'ping' | 'http' | 'tcp' | 'dns' | 'transfer';
  /** One or more commands run one after the other (repeat for tcp). */
  runs: string[][];
  flow: Flow;
  timeoutMs: number;
  /** How many answers are expected in total (repeat). */
  count: number;
  /** A server the probe needs in the destination's namespace while it runs (transfer). */
  server?: { argv: string[]; tcpPort: number };
}

/** The request, sent `repeat` times. HTTP repeats are one curl with "Connection: close", so
 * that every request is a new connection (kube-proxy balances connections, not requests), and
 * a newline after each body to tell the answers apart. */
/** curl prints it before each status code, so bodies of any shape can be told apart. */
export const STATUS_MARK = '@@wirelab-status ';

export function buildProbe(send: SendSpec, srcIp: string, dstIp: string, port?: number, caFile?: string): Probe {
  const repeat = send.repeat;
  if (send.dns) {
    // dig reads the namespace's /etc/resolv.conf (ip netns exec mounts the pod's over it): its
    // nameserver, and with +search its search list and ndots, as a pod's resolver would.
    const d = send.dns;
    const argv = ['dig', '+tries=1', '+time=2', d.search ? '+search' : '+nosearch', '+noall', '+comments', '+answer', '-c', d.class, '-t', d.type, d.name];
    if (d.server) argv.push(`@${dstIp}`);
    return { kind: 'dns', runs: Array(repeat).fill(argv), flow: { protocol: 'udp', src: srcIp, dst: dstIp, dstPort: 53 }, timeoutMs: 8000, count: repeat };
  }
  if (send.transfer) {
    // iperf3: a one-off server (-1) in the destination, the client sends `bytes` and reports in
    // JSON: seconds, bits per second, and the sender's TCP retransmissions (from TCP_INFO).
    const t = send.transfer;
    return {
      kind: 'transfer',
      runs: [['iperf3', '-c', dstIp, '-p', String(t.port), '-n', String(t.bytes), '-J']],
      flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: t.port },
      timeoutMs: 120_000,
      count: 1,
      server: { argv: ['iperf3', '-s', '-1', '-p', String(t.port)], tcpPort: t.port },
    };
  }
  if (send.ping) {
    const p = send.ping;
    const argv = ['ping', '-n', '-c', String(p.count), '-i', '0.05', '-W', '2', '-s', String(p.size)];
    if (p.dontFragment) argv.push('-M', 'do');
    argv.push(dstIp);
    return { kind: 'ping', runs: [argv], flow: { protocol: 'icmp', src: srcIp, dst: dstIp }, timeoutMs: 3000 + p.count * 400, count: 1 };
  }
  if (send.http) {
    const h = send.http;
    const scheme = h.https ? 'https' : 'http';
    // With a host name, curl connects to the address but sends the name (Host header, and SNI
    // for https) the way a browser resolving it would: --resolve pins name:port to the address.
    const authority = h.host ?? dstIp;
    const url = `${scheme}://${authority}:${port}${h.path}`;
    const argv = ['curl', '-sS', '--max-time', '3', '--noproxy', '*', '-H', 'Connection: close', '-w', `\\n${STATUS_MARK}%{http_code}\\n`];
    if (h.host) argv.push('--resolve', `${h.host}:${port}:${dstIp}`);
    if (h.https) argv.push(...(h.verify && caFile ? ['--cacert', caFile] : ['-k']));
    argv.push(...Array(repeat).fill(url));
    return { kind: 'http', runs: [argv], flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: port }, timeoutMs: 5000 + repeat * 100, count: repeat };
  }
  // socat connects and prints what the server says before it closes (serve-hostname --tcp says
  // its name); a server that waits for a request (HTTP) is left after 0.3 s of silence.
  const argv = ['socat', '-T0.3', '-u', `TCP:${dstIp}:${port},connect-timeout=3`, 'STDOUT'];
  return { kind: 'tcp', runs: Array(repeat).fill(argv), flow: { protocol: 'tcp', src: srcIp, dst: dstIp, dstPort: port }, timeoutMs: 5000, count: repeat };
}

export interface DnsRecord {
  name: string;
  type: string;
  data: string;
}

export interface ProbeOutcome {
  /** Every request was answered (ping: at least one reply). */
  reply: boolean;
  /** http: the status code of each answer. */
  statuses?: number[];
  /** dns: the response code and answer section of the (last) answer. */
  dns?: { rcode: string; answers: DnsRecord[] };
  /** HTTP bodies or TCP data, one per answered request. */
  bodies: string[];
  /** ping: the average round-trip time (ms). */
  rttMs?: number;
  /** transfer: what iperf3 measured. */
  transfer?: TransferResult;
  /** What the client printed when a request failed. */
  error?: string;
  exitCode: number;
}

export function readOutcome(probe: Probe, results: { stdout: string; stderr: string; exitCode: number }[]): ProbeOutcome {
  const failed = results.find((r) => r.exitCode !== 0);
  const error = failed ? `${failed.stderr}\n${failed.stdout}`.trim() : undefined;
  if (probe.kind === 'ping') {
    // iputils ping: exit 0 when at least one reply came back.
    const rttMs = parsePingAvg(results[0]?.stdout ?? '');
    return { reply: !failed, bodies: [], error, exitCode: failed?.exitCode ?? 0, ...(rttMs !== null ? { rttMs } : {}) };
  }
  if (probe.kind === 'transfer') {
    const transfer = parseIperf(results[0]?.stdout ?? '');
    return { reply: !failed && transfer !== undefined, bodies: [], transfer, error: error ?? transfer?.error, exitCode: failed?.exitCode ?? 0 };
  }
  if (probe.kind === 'dns') {
    // dig exits 0 for any answer (NXDOMAIN included) and 9 when no server answered.
    const last = results[results.length - 1];
    const dns = parseDig(last.stdout);
    return {
      reply: !failed && dns !== undefined,
      bodies: (dns?.answers ?? []).map((a) => a.data),
      dns,
      error: error ?? (dns ? undefined : last.stdout.trim()),
      exitCode: failed?.exitCode ?? 0,
    };
  }
  if (probe.kind === 'http') {
    const answers = results.flatMap((r) => splitHttp(r.stdout));
    return {
      reply: !failed && answers.length === probe.count,
      bodies: answers.map((a) => a.body),
      statuses: answers.map((a) => a.status),
      error,
      exitCode: failed?.exitCode ?? 0,
    };
  }
  const bodies = results.filter((r) => r.exitCode === 0).map((r) => r.stdout);
  return { reply: !failed && bodies.length === probe.count, bodies, error: error && connectError(error), exitCode: failed?.exitCode ?? 0 };
}

/** A failed connection in agnhost connect's words (REFUSED, TIMEOUT, OTHER), which upstream's
 * tests and the lab files use, followed by what the client said. */
export function connectError(stderr: string): string {
  const word = /Connection refused/.test(stderr) ? 'REFUSED' : /timed out|Operation now in progress/i.test(stderr) ? 'TIMEOUT' : 'OTHER';
  return `${word}: ${stderr.replace(/^\S*socat\[\d+\] E /, '').trim()}`;
}

/** dig +noall +comments +answer: the status from the header comment, the answer records. */
export function parseDig(out: string): { rcode: string; answers: DnsRecord[] } | undefined {
  const status = /->>HEADER<<-.*status: ([A-Z]+)/.exec(out)?.[1];
  if (!status) return undefined;
  const answers: DnsRecord[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(';') || line.trim() === '') continue;
    const m = /^(\S+)\s+\d+\s+(IN|CH)\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) answers.push({ name: m[1].replace(/\.$/, ''), type: m[3], data: m[4].replace(/^"(.*)"$/, '$1').replace(/\.$/, '') });
  }
  return { rcode: status, answers };
}

/** curl's output for several requests: each body followed by the status marker line. */
export function splitHttp(out: string): { body: string; status: number }[] {
  const parts = out.split(STATUS_MARK);
  const answers: { body: string; status: number }[] = [];
  for (let i = 1; i < parts.length; i++) {
    const status = Number(parts[i].slice(0, 3));
    const body = parts[i - 1].replace(/^\d{3}\n/, '').replace(/\n$/, '');
    if (status > 0) answers.push({ body, status });
  }
  return answers;
}

/** ping's summary line: "rtt min/avg/max/mdev = 0.031/0.045/0.090/0.012 ms". */
export function parsePingAvg(out: string): number | null {
  const m = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(out);
  return m ? Number(m[1]) : null;
}

export interface TransferResult {
  bytes: number;
  seconds: number;
  mbps: number;
  retransmits: number;
  error?: string;
}

/** iperf3 -J: the bytes the client sent (with -n, the receiver's own sum can stop short of the
 * last ones), how long and how fast the receiver saw it, and the sender's retransmissions. */
export function parseIperf(json: string): TransferResult | undefined {
  try {
    const r = JSON.parse(json) as {
      error?: string;
      end?: { sum_sent?: { retransmits?: number; bytes?: number }; sum_received?: { seconds?: number; bits_per_second?: number; bytes?: number } };
    };
    const sent = r.end?.sum_sent;
    const got = r.end?.sum_received;
    if (r.error || !got || typeof got.bits_per_second !== 'number')
      return r.error ? { bytes: 0, seconds: 0, mbps: 0, retransmits: 0, error: r.error } : undefined;
    return {
      bytes: sent?.bytes ?? got.bytes ?? 0,
      seconds: got.seconds ?? 0,
      mbps: Math.round(got.bits_per_second / 1e6),
      retransmits: sent?.retransmits ?? 0,
    };
  } catch {
    return undefined;
  }
}
