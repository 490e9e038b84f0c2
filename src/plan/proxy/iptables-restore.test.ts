// toRestoreText: the full-sync text, and partial syncs that write only some service chains and
// delete stale ones.
import { describe, expect, it } from 'vitest';
import { renderKubeProxyIptables, renderKubeProxyRuleset } from './iptables.js';
import { chainsOfServices, toRestoreText } from './iptables-restore.js';
import { checkIPTablesRuleJumps } from './testing/iptables-dump.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { input, web, webSlice } from './testing/iptables-input.js';

describe('partial sync text', () => {
  const two = () =>
    input({
      services: [
        web(),
        makeService('default', 'api', (s) => {
          s.clusterIP = '10.96.0.11';
          s.ports = [tcpPort('http', 80)];
        }),
      ],
      endpointSlices: [webSlice(endpoint('10.8.0.5')), makeSlice('default', 'api', [endpoint('10.8.0.6')], [{ name: 'http', port: 80 }])],
    });

  it('always writes the filter table and top-level nat chains, plus only the chosen service chains', () => {
    const rs = renderKubeProxyRuleset(two());
    const only = chainsOfServices(rs, ['default/web']);
    expect(only.size).toBe(2);
    const text = toRestoreText(rs, { onlyChains: only });
    const declared = text
      .split('\n')
      .filter((l) => l.startsWith(':'))
      .map((l) => l.split(' ')[0].slice(1));
    expect(declared.filter((c) => /^KUBE-(SVC|SEP)-/.test(c)).sort()).toEqual([...only].sort());
    expect(declared).toContain('KUBE-FORWARD');
    expect(declared).toContain('KUBE-POSTROUTING');
    // KUBE-SERVICES is rewritten whole, still jumping to both services.
    expect(text.match(/^-A KUBE-SERVICES .*cluster IP/gm)).toHaveLength(2);
  });

  it('deletes stale service chains with a flush line and -X, ignoring active and foreign chains', () => {
    const rs = renderKubeProxyRuleset(two());
    const active = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SVC-'))!;
    const text = toRestoreText(rs, { onlyChains: new Set(), deleteChains: ['KUBE-SEP-STALE', active, 'DOCKER'] });
    const nat = text.slice(text.indexOf('*nat'));
    expect(nat).toContain(':KUBE-SEP-STALE - [0:0]\n');
    expect(nat.trimEnd().split('\n').slice(-2)).toEqual(['-X KUBE-SEP-STALE', 'COMMIT']);
    expect(nat).not.toContain(`-X ${active}`);
    expect(nat).not.toContain('DOCKER');
  });

  it('renders a full sync as *filter ... COMMIT *nat ... COMMIT', () => {
    const text = renderKubeProxyIptables(two());
    expect(text.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n')).toBe(true);
    expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
    expect(text.endsWith('COMMIT\n')).toBe(true);
    expect(checkIPTablesRuleJumps(text)).toEqual([]);
  });
});
