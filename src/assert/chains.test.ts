import { describe, expect, it } from 'vitest';
import { chainPath, matchChainPath } from './chains.js';
import { parseNftTrace } from '../capture/nft-trace.js';
import { NFT_TRACE_SAMPLES } from '../capture/testing/nft-trace-samples.js';

const { TCP_DNAT, TCP_EMPTY_SEP, UDP_FORWARDED, RETURN_AND_DROP } = NFT_TRACE_SAMPLES;

describe('chainPath', () => {
  it('follows jumps in one table, without our trace table', () => {
    const [p] = parseNftTrace(TCP_DNAT);
    expect(chainPath(p, 'nat')).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'POSTROUTING']);
    expect(chainPath(p)).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'POSTROUTING']);
    expect(chainPath(p, 'wirelab_trace')).toEqual(['output']);
    expect(chainPath(p, 'filter')).toEqual([]);
  });

  it('shows an empty chain that was jumped to, and the return to the calling chain', () => {
    const [p] = parseNftTrace(TCP_EMPTY_SEP);
    expect(chainPath(p, 'nat')).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'OUTPUT', 'POSTROUTING']);
  });

  it('interleaves tables in the order the packet met them', () => {
    const [p] = parseNftTrace(UDP_FORWARDED);
    expect(chainPath(p, 'nat')).toEqual([
      'PREROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-DNS',
      'KUBE-SEP-DNS1',
      'KUBE-MARK-MASQ',
      'KUBE-SEP-DNS1',
      'POSTROUTING',
      'KUBE-POSTROUTING',
    ]);
    expect(chainPath(p, 'filter')).toEqual(['FORWARD', 'KUBE-FORWARD']);
    expect(chainPath(p)).toEqual([
      'PREROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-DNS',
      'KUBE-SEP-DNS1',
      'KUBE-MARK-MASQ',
      'KUBE-SEP-DNS1',
      'FORWARD',
      'KUBE-FORWARD',
      'POSTROUTING',
      'KUBE-POSTROUTING',
    ]);
    const [, ping] = parseNftTrace(RETURN_AND_DROP);
    expect(chainPath(ping, 'filter')).toEqual(['FORWARD', 'KUBE-FORWARD', 'FORWARD']);
  });
});

describe('matchChainPath', () => {
  const path = ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-DNS', 'KUBE-SEP-DNS1', 'KUBE-MARK-MASQ', 'KUBE-SEP-DNS1', 'POSTROUTING'];

  it('accepts the expected chains as an ordered subsequence, with globs', () => {
    expect(matchChainPath(path, ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*'])).toEqual({
      ok: true,
      detail:
        'traversed KUBE-SERVICES -> KUBE-SVC-DNS -> KUBE-SEP-DNS1 (path: PREROUTING -> KUBE-SERVICES -> KUBE-SVC-DNS -> KUBE-SEP-DNS1 -> KUBE-MARK-MASQ -> KUBE-SEP-DNS1 -> POSTROUTING)',
    });
    expect(matchChainPath(path, ['PREROUTING', 'KUBE-MARK-MASQ', 'POSTROUTING']).ok).toBe(true);
    expect(matchChainPath(path, ['KUBE-SEP-DNS?']).ok).toBe(true);
    expect(matchChainPath(path, []).ok).toBe(true);
  });

  it('globs are whole-name and treat regex characters literally', () => {
    expect(matchChainPath(path, ['KUBE-SVC']).ok).toBe(false);
    expect(matchChainPath(['KUBE-SVC-A.B'], ['KUBE-SVC-A.B']).ok).toBe(true);
    expect(matchChainPath(['KUBE-SVC-AXB'], ['KUBE-SVC-A.B']).ok).toBe(false);
  });

  it('names the first expected chain that was not reached and shows the actual path', () => {
    const r = matchChainPath(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'OUTPUT', 'POSTROUTING'], ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*']);
    expect(r).toEqual({
      ok: false,
      detail:
        'expected chain KUBE-SEP-* (3 of 3) after KUBE-SVC-TEST was not traversed; expected KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, actual path: OUTPUT -> KUBE-SERVICES -> KUBE-SVC-TEST -> OUTPUT -> POSTROUTING',
    });
  });

  it('says when a chain was traversed, but out of order, and when nothing was traced', () => {
    expect(matchChainPath(path, ['KUBE-SEP-*', 'KUBE-SVC-*']).detail).toMatch(
      /^expected chain KUBE-SVC-\* \(2 of 2\) after KUBE-SEP-DNS1 was not traversed \(it appears only before KUBE-SEP-DNS1, out of order\)/,
    );
    expect(matchChainPath([], ['KUBE-SERVICES']).detail).toBe(
      'expected chain KUBE-SERVICES (1 of 1) was not traversed; expected KUBE-SERVICES, actual path: (no chain)',
    );
  });
});

describe('chainPath of return and unknown-rule events', () => {
  it('enters a chain that only returned, and the target of a rule nft could not print', () => {
    const [p] = parseNftTrace(
      [
        'trace id 0000beef ip nat KUBE-SVC-X verdict continue meta mark 0x00004000 ',
        'trace id 0000beef ip nat KUBE-SVC-X unknown rule handle 12 (verdict jump KUBE-SEP-Y)',
        'trace id 0000beef ip filter OUTPUT policy accept meta mark 0x00004000 ',
      ].join('\n'),
    );
    expect(chainPath(p, 'nat')).toEqual(['KUBE-SVC-X', 'KUBE-SEP-Y']);
  });
});
