import { describe, expect, it } from 'vitest';
import { parseIperfMbps } from './measure.js';
import { parsePingAvg } from './probe.js';

describe('compare-backends parsing', () => {
  it("reads ping's average round trip", () => {
    expect(parsePingAvg('20 packets transmitted, 20 received, 0% packet loss, time 960ms\nrtt min/avg/max/mdev = 0.031/0.045/0.090/0.012 ms\n')).toBe(0.045);
    expect(parsePingAvg('1 packets transmitted, 0 received, 100% packet loss')).toBeNull();
  });

  it('reads iperf3 -J received bits per second as Mbit/s', () => {
    expect(parseIperfMbps(JSON.stringify({ end: { sum_received: { bits_per_second: 11_506_000_000 } } }))).toBe(11506);
    expect(parseIperfMbps('iperf3: error - unable to connect to server')).toBeNull();
  });
});
