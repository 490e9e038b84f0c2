import { describe, expect, it } from 'vitest';
import type { ExpectationResult } from '../assert/expectation.js';
import { buildReport, renderJunit, renderTable } from './report.js';

const passed: ExpectationResult = {
  name: 'same-node pod-a -> pod-b',
  passed: true,
  message: 'ok: 1 hop as expected',
  hops: [{ at: 'w1/cni0', passed: true, detail: '10.8.0.5 > 10.8.0.8 TCP', seen: 3, absent: false }],
  probe: { argv: ['curl', 'http://10.8.0.8:80/'], exitCode: 0, output: 'pod-b' },
  durationMs: 41,
};
const failed: ExpectationResult = {
  name: 'MTU <1450 & DF',
  passed: false,
  message: 'hop w1/eth0: length is 1451, expected <1450 & more; packet last seen at w1/flannel.1',
  hops: [
    { at: 'w1/flannel.1', passed: true, detail: 'seen', seen: 1, absent: false },
    { at: 'w1/eth0', passed: false, detail: 'a < b & c', seen: 0, absent: false },
  ],
  durationMs: 12,
};

describe('buildReport', () => {
  it('has the report.json shape, without seen/absent/probe', () => {
    const r = buildReport('flannel-vxlan', [passed, failed], 1234.6);
    expect(r).toEqual({
      lab: 'flannel-vxlan',
      passed: false,
      durationMs: 1235,
      expectations: [
        {
          name: 'same-node pod-a -> pod-b',
          passed: true,
          message: 'ok: 1 hop as expected',
          hops: [{ at: 'w1/cni0', passed: true, detail: '10.8.0.5 > 10.8.0.8 TCP' }],
        },
        {
          name: 'MTU <1450 & DF',
          passed: false,
          message: failed.message,
          hops: [
            { at: 'w1/flannel.1', passed: true, detail: 'seen' },
            { at: 'w1/eth0', passed: false, detail: 'a < b & c' },
          ],
        },
      ],
    });
  });

  it('passes only when every expectation passed and the lab was not skipped', () => {
    expect(buildReport('l', [passed], 1).passed).toBe(true);
    expect(buildReport('l', [], 1).passed).toBe(true);
    const skipped = buildReport('l', [passed], 0, 'skipped: kernel lacks CONFIG_VXLAN');
    expect(skipped.passed).toBe(false);
    expect(skipped.skipped).toBe('skipped: kernel lacks CONFIG_VXLAN');
  });
});

describe('renderJunit', () => {
  const xml = renderJunit(buildReport('flannel-vxlan', [passed, failed], 1500));

  it('has one testcase per expectation and counts the failures', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('<testsuites name="wirelab" tests="2" failures="1" skipped="0" time="1.500">');
    expect(xml).toContain('<testcase classname="wirelab.flannel-vxlan" name="same-node pod-a -&gt; pod-b"></testcase>');
  });

  it('has a <failure> for the failed expectation only, with every character escaped', () => {
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain(
      '<testcase classname="wirelab.flannel-vxlan" name="MTU &lt;1450 &amp; DF"><failure message="hop w1/eth0: length is 1451, expected &lt;1450 &amp; more; packet last seen at w1/flannel.1">ok   w1/flannel.1: seen\nFAIL w1/eth0: a &lt; b &amp; c</failure></testcase>',
    );
    // No raw '<' or '&' outside markup: every '&' starts an entity.
    expect(xml.replace(/&(amp|lt|gt|quot);/g, '')).not.toContain('&');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  });

  it('marks skipped expectations as skipped, not failed', () => {
    const s = renderJunit(buildReport('l', [{ ...failed, skipped: 'skipped: kernel lacks <x>' }], 0));
    expect(s).toContain('<skipped message="skipped: kernel lacks &lt;x&gt;"/>');
    expect(s).toContain('failures="0" skipped="1"');
    expect(s).not.toContain('<failure');
  });
});

describe('renderTable', () => {
  it('prints PASS/FAIL lines, the failure reason and the totals without colour', () => {
    const t = renderTable(buildReport('flannel-vxlan', [passed, failed], 2500), false);
    expect(t).toContain('PASS  same-node pod-a -> pod-b');
    expect(t).toContain('FAIL  MTU <1450 & DF');
    expect(t).toContain(`→ ${failed.message}`);
    expect(t.trimEnd().split('\n').at(-1)).toBe('FAILED  flannel-vxlan: 1/2 expectations passed in 2.5 s');
    expect(t).not.toContain('\x1b[');
  });
});
