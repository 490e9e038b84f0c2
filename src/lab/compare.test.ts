import { describe, expect, it } from 'vitest';
import { parseIperfMbps, parsePingAvg, renderComparison } from './compare.js';

describe('compare-backends parsing', () => {
  it('reads ping\'s average round trip', () => {
    expect(parsePingAvg('20 packets transmitted, 20 received, 0% packet loss, time 960ms\nrtt min/avg/max/mdev = 0.031/0.045/0.090/0.012 ms\n')).toBe(0.045);
    expect(parsePingAvg('1 packets transmitted, 0 received, 100% packet loss')).toBeNull();
  });

  it('reads iperf3 -J received bits per second as Mbit/s', () => {
    expect(parseIperfMbps(JSON.stringify({ end: { sum_received: { bits_per_second: 11_506_000_000 } } }))).toBe(11506);
    expect(parseIperfMbps('iperf3: error - unable to connect to server')).toBeNull();
  });

  it('prints one row per backend, skipped ones with their reason', () => {
    const out = renderComparison([
      { label: 'flannel VXLAN', lab: 'flannel-vxlan', overheadBytes: 50, pathMtu: 1450, rttMs: 0.167, throughputMbps: 11339 },
      { label: 'Calico IP-in-IP', lab: 'calico-ipip', overheadBytes: null, pathMtu: null, rttMs: null, throughputMbps: null, skipped: 'skipped: kernel lacks CONFIG_NET_IPIP' },
    ]);
    expect(out).toMatch(/flannel VXLAN\s+flannel-vxlan\s+50\s+1450\s+0\.167\s+11339/);
    expect(out).toContain('skipped: kernel lacks CONFIG_NET_IPIP');
  });
});
