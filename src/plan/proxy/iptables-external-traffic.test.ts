// NodePorts, externalTrafficPolicy and internalTrafficPolicy Local, and LoadBalancer source
// ranges in iptables mode.
import { describe, expect, it } from 'vitest';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import { endpoint, makeService, tcpPort } from '../../model/testing/services.js';
import { filterRules, input, natRules, web, webSlice } from './testing/iptables-input.js';

describe('NodePort', () => {
  const np = (edit: Parameters<typeof makeService>[2] = () => {}) =>
    web((s) => {
      s.type = 'NodePort';
      s.ports = [tcpPort('http', 80, 30080)];
      edit(s);
    });

  it('jumps from KUBE-NODEPORTS to KUBE-EXT, which masquerades then goes to KUBE-SVC', () => {
    const rs = renderKubeProxyRuleset(input({ services: [np()], endpointSlices: [webSlice(endpoint('10.8.0.5', 'node-b'))] }));
    const [rule] = rs.tables.nat.get('KUBE-NODEPORTS')!;
    const ext = rule.split(' -j ')[1];
    expect(rule).toBe(`-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j ${ext}`);
    const svc = ext.replace('KUBE-EXT-', 'KUBE-SVC-');
    expect(rs.tables.nat.get(ext)).toEqual([
      `-A ${ext} -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ`,
      `-A ${ext} -j ${svc}`,
    ]);
  });

  it('adds the localhost nfacct rule only when nfacct counters exist', () => {
    const eps = [webSlice(endpoint('10.8.0.5'))];
    expect(natRules(input({ services: [np()], endpointSlices: eps }), 'KUBE-NODEPORTS')).toHaveLength(1);
    const withCounters = natRules(input({ services: [np()], endpointSlices: eps, nfacct: true }), 'KUBE-NODEPORTS');
    expect(withCounters[0]).toContain('-d 127.0.0.0/8 --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-');
  });

  it('restricts the NodePort tail rule to nodePortAddresses, and to non-localhost without localhostNodePorts', () => {
    const tail = (inp: Partial<KubeProxyIptablesInput>) => natRules(input(inp), 'KUBE-SERVICES').filter((r) => r.includes('KUBE-NODEPORTS'));
    expect(tail({ localhostNodePorts: false })).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    ]);
    expect(tail({ nodePortAddresses: ['10.10.20.0/22'] })).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 10.10.20.4 -j KUBE-NODEPORTS',
    ]);
    expect(tail({ nodePortAddresses: ['primary'] })[0]).toContain(' -d 10.10.20.4 -j KUBE-NODEPORTS');
    // No loopback in nodePortAddresses: upstream turns localhostNodePorts off, so no KUBE-FIREWALL.
    expect(renderKubeProxyRuleset(input({ nodePortAddresses: ['10.10.20.0/22'] })).tables.filter.has('KUBE-FIREWALL')).toBe(false);
    expect(tail({ nodePortAddresses: ['127.0.0.0/8', '10.10.20.0/22'] })).toHaveLength(2);
  });
});

describe('externalTrafficPolicy: Local', () => {
  const lb = web((s) => {
    s.type = 'LoadBalancer';
    s.externalTrafficPolicy = 'Local';
    s.ports = [tcpPort('http', 80, 30080)];
    s.loadBalancerIPs = ['1.2.3.4'];
    s.healthCheckNodePort = 32000;
  });

  it('short-circuits pod and LOCAL traffic to KUBE-SVC and sends the rest to KUBE-SVL', () => {
    const eps = [endpoint('10.8.0.5', 'node-a'), endpoint('10.8.1.5', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [lb], endpointSlices: [webSlice(...eps)] }));
    const ext = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-EXT-'))!;
    const svc = ext.replace('KUBE-EXT-', 'KUBE-SVC-');
    const svl = ext.replace('KUBE-EXT-', 'KUBE-SVL-');
    expect(rs.tables.nat.get(ext)).toEqual([
      `-A ${ext} -m comment --comment "pod traffic for default/web:http external destinations" -s 10.8.0.0/16 -j ${svc}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
      `-A ${ext} -j ${svl}`,
    ]);
    expect(rs.tables.nat.get(svl)).toHaveLength(1);
    expect(rs.tables.nat.get(svl)![0]).toContain('-> 10.8.0.5:8080');
    expect(rs.tables.nat.get(svc)!.filter((r) => r.includes('KUBE-SEP-'))).toHaveLength(2);
    expect(rs.tables.filter.get('KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "default/web:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT',
    ]);
  });

  it('DROPs external traffic in filter when this node has no local endpoint, but keeps the short-circuit', () => {
    const rs = renderKubeProxyRuleset(input({ services: [lb], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    const ext = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-EXT-'))!;
    expect(rs.tables.nat.get(ext)).toHaveLength(3);
    expect([...rs.tables.nat.keys()].some((c) => c.startsWith('KUBE-SVL-'))).toBe(false);
    expect(rs.tables.filter.get('KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP',
    ]);
  });

  it('has no effect on a ClusterIP service without external IPs', () => {
    const svc = web((s) => (s.externalTrafficPolicy = 'Local'));
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    expect([...rs.tables.nat.keys()].filter((c) => /^KUBE-(EXT|SVL)-/.test(c))).toEqual([]);
  });
});

describe('internalTrafficPolicy: Local', () => {
  const svc = web((s) => (s.internalTrafficPolicy = 'Local'));

  it('sends cluster IP traffic to KUBE-SVL with only the local endpoints', () => {
    const eps = [endpoint('10.8.0.5', 'node-a'), endpoint('10.8.1.5', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(...eps)] }));
    const jumpTo = rs.tables.nat.get('KUBE-SERVICES')![0].split(' -j ')[1];
    expect(jumpTo).toMatch(/^KUBE-SVL-/);
    expect(rs.tables.nat.get(jumpTo)).toHaveLength(2); // masquerade + one endpoint
    expect([...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(1);
    expect([...rs.tables.nat.keys()].some((c) => c.startsWith('KUBE-SVC-'))).toBe(false);
  });

  it('DROPs cluster IP traffic when there is no local endpoint', () => {
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no local endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j DROP',
    ]);
  });
});

describe('LoadBalancer source ranges', () => {
  it('allows the node itself via the LB IP when the node IP is inside a range', () => {
    const svc = web((s) => {
      s.type = 'LoadBalancer';
      s.ports = [tcpPort('http', 80, 30080)];
      s.loadBalancerIPs = ['1.2.3.4'];
      s.loadBalancerSourceRanges = ['10.10.20.0/22', '203.0.113.7/25'];
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }));
    const fw = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-FW-'))!;
    const ext = fw.replace('KUBE-FW-', 'KUBE-EXT-');
    expect(rs.tables.nat.get(fw)).toEqual([
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 10.10.20.0/22 -j ${ext}`,
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 203.0.113.0/25 -j ${ext}`,
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 1.2.3.4 -j ${ext}`,
      `-A ${fw} -m comment --comment "other traffic to default/web:http will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    expect(filterRules(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }), 'KUBE-PROXY-FIREWALL')).toEqual([
      `-A KUBE-PROXY-FIREWALL -m comment --comment "default/web:http traffic not accepted by ${fw}" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP`,
    ]);
  });
});
