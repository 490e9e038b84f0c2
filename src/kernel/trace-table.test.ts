import { describe, expect, it } from 'vitest';
import { traceMatchExpr, traceTableDeleteRules, traceTableRules } from './trace-table.js';

describe('traceTableRules', () => {
  it('marks only the flow, in our own table, at prerouting and output before raw/conntrack/nat', () => {
    const text = traceTableRules({ dst: '10.96.0.50', protocol: 'tcp' });
    expect(text).toBe(
      [
        'table ip wirelab_trace',
        'delete table ip wirelab_trace',
        'table ip wirelab_trace {',
        '\tchain prerouting {',
        '\t\ttype filter hook prerouting priority -350; policy accept;',
        '\t\tip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1',
        '\t}',
        '\tchain output {',
        '\t\ttype filter hook output priority -350; policy accept;',
        '\t\tip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
    expect(traceTableDeleteRules()).toBe('delete table ip wirelab_trace\n');
  });

  it('combines every condition, and traces everything without one', () => {
    expect(traceMatchExpr({ src: '10.244.1.0/24', dst: '10.96.0.10', protocol: 'udp', dport: 53 })).toBe(
      'ip saddr 10.244.1.0/24 ip daddr 10.96.0.10 meta l4proto udp udp dport 53',
    );
    expect(traceTableRules({})).toContain('\t\tmeta nftrace set 1\n');
  });

  it('rejects input that is not an address, so nothing else reaches nft -f', () => {
    expect(() => traceTableRules({ dst: '10.96.0.50; flush ruleset' })).toThrow(/not an IPv4 address/);
    expect(() => traceTableRules({ src: '10.244.1.5/24' })).toThrow(/host bits/);
    expect(() => traceTableRules({ protocol: 'sctp' as 'tcp' })).toThrow(/not tcp, udp or icmp/);
    expect(() => traceTableRules({ protocol: 'icmp', dport: 53 })).toThrow(/needs protocol tcp or udp/);
  });
});
