// The chains every iptables-mode sync writes (proxier.go's top-level chains, mark and forward rules)
// and upstream's iptablesJumpChains / iptablesKubeletJumpChains.
import { describe, expect, it } from 'vitest';
import { renderKubeProxyRuleset } from './iptables.js';
import { IPTABLES_JUMP_CHAINS, jumpRuleArgs } from './iptables-chains.js';
import { input } from './testing/iptables-input.js';

describe('fixed chains', () => {
  it('writes the postrouting, mark and forward rules with the real mark and --random-fully', () => {
    const rs = renderKubeProxyRuleset(input({}));
    expect(rs.tables.nat.get('KUBE-POSTROUTING')).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(rs.tables.nat.get('KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000']);
    expect(rs.tables.filter.get('KUBE-FORWARD')).toEqual([
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
    expect([...rs.tables.filter.keys()]).toEqual([
      'KUBE-SERVICES',
      'KUBE-EXTERNAL-SERVICES',
      'KUBE-FORWARD',
      'KUBE-NODEPORTS',
      'KUBE-PROXY-FIREWALL',
      'KUBE-FIREWALL',
    ]);
    expect([...rs.tables.nat.keys()]).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']);
    expect(rs.tables.nat.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ]);
  });

  it('honours masqueradeBit, randomFully=false, conntrackTCPLiberal', () => {
    const rs = renderKubeProxyRuleset(input({ masqueradeBit: 15, randomFully: false, conntrackTCPLiberal: true }));
    expect(rs.tables.nat.get('KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00008000']);
    expect(rs.tables.nat.get('KUBE-POSTROUTING')?.[2]).toMatch(/-j MASQUERADE$/);
    expect(rs.tables.filter.get('KUBE-FORWARD')?.[0]).toContain('"kubernetes forwarding rules"');
  });

  it('has upstream iptablesJumpChains + kubelet jump chains', () => {
    const lines = IPTABLES_JUMP_CHAINS.map((j) => `${j.table} ${j.srcChain} ${jumpRuleArgs(j).join(' ')}`);
    expect(lines).toEqual([
      'filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      'filter INPUT -m comment --comment kubernetes health check service ports -j KUBE-NODEPORTS',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'filter FORWARD -m comment --comment kubernetes forwarding rules -j KUBE-FORWARD',
      'filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'nat OUTPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'nat PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'nat POSTROUTING -m comment --comment kubernetes postrouting rules -j KUBE-POSTROUTING',
      'filter INPUT -j KUBE-FIREWALL',
      'filter OUTPUT -j KUBE-FIREWALL',
    ]);
  });
});
