import { describe, expect, it } from 'vitest';
import { renderComparison } from './comparison.js';

describe('compare-backends table', () => {
  it('prints one row per backend, skipped ones with their reason', () => {
    const out = renderComparison([
      { label: 'flannel VXLAN', lab: 'flannel-vxlan', overheadBytes: 50, pathMtu: 1450, rttMs: 0.167, throughputMbps: 11339 },
      {
        label: 'Calico IP-in-IP',
        lab: 'calico-ipip',
        overheadBytes: null,
        pathMtu: null,
        rttMs: null,
        throughputMbps: null,
        skipped: 'skipped: kernel lacks CONFIG_NET_IPIP',
      },
    ]);
    expect(out).toMatch(/flannel VXLAN\s+flannel-vxlan\s+50\s+1450\s+0\.167\s+11339/);
    expect(out).toContain('skipped: kernel lacks CONFIG_NET_IPIP');
  });
});
