import { describe, expect, it } from 'vitest';
import { buildProbe, parseIperf, readOutcome, splitHttp, STATUS_MARK } from './probe.js';

describe('HTTP probes', () => {
  it('send the Host name, pin it to the address for SNI, and verify against the lab CA', () => {
    const p = buildProbe(
      { from: 'client', to: 'w1', http: { port: 32500, path: '/api', host: 'app.example.com', https: true, verify: true }, repeat: 2 },
      '10.10.20.100',
      '10.10.20.4',
      32500,
      '/run/wirelab/x/certs/tls-secret.crt',
    );
    const argv = p.runs[0];
    expect(argv).toContain('--resolve');
    expect(argv[argv.indexOf('--resolve') + 1]).toBe('app.example.com:32500:10.10.20.4');
    expect(argv[argv.indexOf('--cacert') + 1]).toBe('/run/wirelab/x/certs/tls-secret.crt');
    expect(argv.filter((a) => a === 'https://app.example.com:32500/api')).toHaveLength(2);
  });

  it('split bodies of any shape by the status marker', () => {
    const out = `web-1\n${STATUS_MARK}200\n<html>\n<h1>404</h1>\n</html>\n${STATUS_MARK}404\n`;
    expect(splitHttp(out)).toEqual([
      { body: 'web-1', status: 200 },
      { body: '<html>\n<h1>404</h1>\n</html>', status: 404 },
    ]);
    const p = buildProbe({ from: 'a', to: 'b', http: { port: 80, path: '/', https: false, verify: true }, repeat: 2 }, '1.1.1.1', '2.2.2.2', 80);
    expect(readOutcome(p, [{ stdout: out, stderr: '', exitCode: 0 }])).toMatchObject({
      reply: true,
      bodies: ['web-1', '<html>\n<h1>404</h1>\n</html>'],
      statuses: [200, 404],
    });
  });
});

describe('transfer probes (iperf3)', () => {
  it('runs a one-off server in the destination and the client with the byte count, JSON out', () => {
    const p = buildProbe({ from: 'a', to: 'd', transfer: { bytes: 2000000, port: 5201 }, repeat: 1 }, '10.8.0.5', '10.8.1.10');
    expect(p.kind).toBe('transfer');
    expect(p.runs).toEqual([['iperf3', '-c', '10.8.1.10', '-p', '5201', '-n', '2000000', '-J']]);
    expect(p.server).toEqual({ argv: ['iperf3', '-s', '-1', '-p', '5201'], tcpPort: 5201 });
    expect(p.flow).toEqual({ protocol: 'tcp', src: '10.8.0.5', dst: '10.8.1.10', dstPort: 5201 });
  });

  it("reads iperf3's JSON: received bytes and time, the sender's retransmissions; an error as the error", () => {
    const json = JSON.stringify({
      end: { sum_sent: { retransmits: 7, bytes: 2000000 }, sum_received: { bytes: 2000000, seconds: 1.25, bits_per_second: 12_800_000 } },
    });
    expect(parseIperf(json)).toEqual({ bytes: 2000000, seconds: 1.25, mbps: 13, retransmits: 7 });
    const probe = buildProbe({ from: 'a', to: 'd', transfer: { bytes: 2000000, port: 5201 }, repeat: 1 }, '1.1.1.1', '2.2.2.2');
    expect(readOutcome(probe, [{ stdout: json, stderr: '', exitCode: 0 }])).toMatchObject({ reply: true, transfer: { retransmits: 7 } });
    const refused = readOutcome(probe, [{ stdout: JSON.stringify({ error: 'unable to connect to server: Connection refused' }), stderr: '', exitCode: 1 }]);
    expect(refused.reply).toBe(false);
    expect(refused.error).toContain('Connection refused');
  });

  it("reads ping's average round trip", () => {
    const probe = buildProbe({ from: 'a', to: 'd', ping: { count: 3, size: 56, dontFragment: false }, repeat: 1 }, '1.1.1.1', '2.2.2.2');
    expect(readOutcome(probe, [{ stdout: 'rtt min/avg/max/mdev = 20.1/21.5/23.0/1.1 ms\n', stderr: '', exitCode: 0 }]).rttMs).toBe(21.5);
  });
});
