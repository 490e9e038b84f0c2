import { describe, expect, it } from 'vitest';
import { judgeRange, measurements } from './expectation.js';

describe('measured values', () => {
  it('pass within their bounds and fail outside them, naming bound and value', () => {
    expect(judgeRange('round-trip time', 'ms', { min: 20 }, 21.5)).toEqual([]);
    expect(judgeRange('round-trip time', 'ms', { min: 20 }, 0.35)).toEqual(['expected a round-trip time of at least 20ms, measured 0.35ms']);
    expect(judgeRange('retransmissions', '', { min: 1, max: 50 }, 0)).toEqual(['expected a retransmissions of at least 1 and at most 50, measured 0']);
    expect(judgeRange('transfer time', 's', { max: 5 }, undefined)).toEqual(['expected a transfer time of at most 5s, but none was measured']);
    expect(judgeRange('x', '', undefined, 3)).toEqual([]);
  });

  it('are reported in words', () => {
    expect(measurements({ reply: true, bodies: [], exitCode: 0, transfer: { bytes: 2000000, seconds: 1.5, mbps: 10, retransmits: 1 } })).toBe(
      '2000000 bytes in 1.50 s (10 Mbit/s), 1 retransmission',
    );
    expect(measurements({ reply: true, bodies: [], exitCode: 0, rttMs: 21.5 })).toBe('an average round trip of 21.5 ms');
    expect(measurements({ reply: true, bodies: [], exitCode: 0 })).toBeUndefined();
  });
});
