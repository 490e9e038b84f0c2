// One service port in iptables mode: ClusterIP capture, masquerade and DNAT, the statistic
// cascade, ClientIP affinity, and the REJECT rules of a service without endpoints.
import { describe, expect, it } from 'vitest';
import { renderKubeProxyRuleset } from './iptables.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { input, natRules, web, webSlice } from './testing/iptables-input.js';

describe('ClusterIP', () => {
  it('jumps, masquerades off-cluster sources, hairpins and DNATs in upstream argument order', () => {
    const inp = input({ services: [web()], endpointSlices: [webSlice(endpoint('10.8.0.5', 'node-a'))] });
    const rs = renderKubeProxyRuleset(inp);
    const svc = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SVC-'))!;
    const sep = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SEP-'))!;
    expect(rs.tables.nat.get('KUBE-SERVICES')?.[0]).toBe(
      `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j ${svc}`,
    );
    expect(rs.tables.nat.get(svc)).toEqual([
      `-A ${svc} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.8.0.0/16 -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "default/web:http -> 10.8.0.5:8080" -j ${sep}`,
    ]);
    expect(rs.tables.nat.get(sep)).toEqual([
      `-A ${sep} -m comment --comment default/web:http -s 10.8.0.5 -j KUBE-MARK-MASQ`,
      `-A ${sep} -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.8.0.5:8080`,
    ]);
  });

  it('masquerades everything with masqueradeAll, nothing without a cluster CIDR', () => {
    const eps = [webSlice(endpoint('10.8.0.5'))];
    const all = natRules(input({ services: [web()], endpointSlices: eps, masqueradeAll: true }), 'KUBE-SERVICES');
    const svc = all[0].split(' -j ')[1];
    expect(natRules(input({ services: [web()], endpointSlices: eps, masqueradeAll: true }), svc)[0]).toMatch(/--dport 80 -j KUBE-MARK-MASQ$/);
    expect(natRules(input({ services: [web()], endpointSlices: eps, clusterCIDR: '' }), svc)).toHaveLength(1);
  });

  it('skips headless and ExternalName services entirely', () => {
    const headless = web((s) => (s.clusterIP = 'None'));
    const external = makeService('default', 'ext', (s) => {
      s.type = 'ExternalName';
      s.clusterIP = undefined;
      s.externalName = 'example.com';
      s.ports = [tcpPort('http', 80)];
    });
    const rs = renderKubeProxyRuleset(input({ services: [headless, external], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }));
    expect(rs.tables.nat.get('KUBE-SERVICES')).toHaveLength(1);
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([]);
  });

  it('hashes an unnamed port as ns/name', () => {
    const svc = makeService('default', 'kubernetes', (s) => {
      s.clusterIP = '10.96.0.1';
      s.ports = [tcpPort('', 443)];
    });
    const slice = makeSlice('default', 'kubernetes', [endpoint('10.10.20.2')], [{ name: '', port: 6443 }]);
    const rule = natRules(input({ services: [svc], endpointSlices: [slice] }), 'KUBE-SERVICES')[0];
    expect(rule).toContain('--comment "default/kubernetes cluster IP"');
  });
});

describe('load balancing', () => {
  const slice = (n: number) => webSlice(...Array.from({ length: n }, (_, i) => endpoint(`10.8.0.${i + 1}`)));
  const svcChain = (n: number): string[] => {
    const inp = input({ services: [web()], endpointSlices: [slice(n)] });
    const jumpTo = natRules(inp, 'KUBE-SERVICES')[0].split(' -j ')[1];
    return natRules(inp, jumpTo).slice(1);
  };

  it.each([
    [1, []],
    [2, ['0.5000000000']],
    [3, ['0.3333333333', '0.5000000000']],
    [4, ['0.2500000000', '0.3333333333', '0.5000000000']],
  ])('%i endpoints: probabilities %j, last rule unconditional', (n, probs) => {
    const rules = svcChain(n);
    expect(rules).toHaveLength(n);
    expect(rules.map((r) => /--probability (\S+)/.exec(r)?.[1]).filter(Boolean)).toEqual(probs);
    expect(rules[n - 1]).not.toContain('statistic');
    expect(rules[0]).toContain('-m statistic --mode random --probability'.repeat(n > 1 ? 1 : 0));
  });

  it('sorts endpoints by "ip:port" string like upstream byEndpoint', () => {
    const rules = svcChain(12);
    const order = rules.map((r) => /-> (\S+)"/.exec(r)![1]);
    expect(order.slice(0, 4)).toEqual(['10.8.0.10:8080', '10.8.0.11:8080', '10.8.0.12:8080', '10.8.0.1:8080']);
  });

  it('drops per-endpoint comments in large cluster mode (> 1000 endpoints)', () => {
    const big = webSlice(...Array.from({ length: 1001 }, (_, i) => endpoint(`10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`)));
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [big] }));
    const sep = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SEP-'))!;
    expect(rs.tables.nat.get(sep)![0]).toMatch(/^-A KUBE-SEP-\S+ -s 10\.8\.\S+ -j KUBE-MARK-MASQ$/);
  });
});

describe('session affinity', () => {
  it('checks every endpoint with --rcheck before balancing, and --set in each SEP', () => {
    const svc = web((s) => {
      s.sessionAffinity = 'ClientIP';
      s.affinityTimeoutSeconds = 300;
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.1'), endpoint('10.8.0.2'))] }));
    const svcChain = rs.tables.nat.get('KUBE-SERVICES')![0].split(' -j ')[1];
    const seps = [...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'));
    expect(rs.tables.nat.get(svcChain)!.slice(1)).toEqual([
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.1:8080" -m recent --name ${seps[0]} --rcheck --seconds 300 --reap -j ${seps[0]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.2:8080" -m recent --name ${seps[1]} --rcheck --seconds 300 --reap -j ${seps[1]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.1:8080" -m statistic --mode random --probability 0.5000000000 -j ${seps[0]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.2:8080" -j ${seps[1]}`,
    ]);
    expect(rs.tables.nat.get(seps[1])![1]).toBe(
      `-A ${seps[1]} -m comment --comment default/web:http -m recent --name ${seps[1]} --set -m tcp -p tcp -j DNAT --to-destination 10.8.0.2:8080`,
    );
  });
});

describe('no endpoints', () => {
  it('REJECTs cluster IP, external IP, LB IP and NodePort in filter, and writes no nat chains', () => {
    const svc = web((s) => {
      s.type = 'LoadBalancer';
      s.ports = [tcpPort('http', 80, 30080)];
      s.externalIPs = ['192.168.99.11'];
      s.loadBalancerIPs = ['1.2.3.4'];
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc] }));
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j REJECT',
    ]);
    expect(rs.tables.filter.get('KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT',
    ]);
    expect([...rs.tables.nat.keys()]).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']);
    expect(rs.tables.nat.get('KUBE-NODEPORTS')).toEqual([]);
  });

  it('treats not-ready, non-terminating endpoints as no endpoints', () => {
    const rs = renderKubeProxyRuleset(
      input({ services: [web()], endpointSlices: [webSlice(endpoint('10.8.0.1', 'node-a', { ready: false, serving: false }))] }),
    );
    expect(rs.tables.filter.get('KUBE-SERVICES')![0]).toMatch(/has no endpoints" .* -j REJECT$/);
  });

  it('falls back to serving+terminating endpoints when none is ready', () => {
    const eps = [
      endpoint('10.8.0.1', 'node-a', { ready: false, serving: true, terminating: true }),
      endpoint('10.8.0.2', 'node-b', { ready: false, serving: false, terminating: true }),
    ];
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [webSlice(...eps)] }));
    const seps = [...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'));
    expect(seps).toHaveLength(1);
    expect(rs.tables.nat.get(seps[0])![1]).toContain('--to-destination 10.8.0.1:8080');
  });

  it('ignores terminating endpoints while a ready one exists', () => {
    const eps = [endpoint('10.8.0.1', 'node-a', { ready: false, serving: true, terminating: true }), endpoint('10.8.0.2', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [webSlice(...eps)] }));
    const dnat = [...rs.tables.nat.values()].flat().filter((r) => r.includes('DNAT'));
    expect(dnat).toEqual([expect.stringContaining('10.8.0.2:8080')]);
  });
});
