// More ports of kubernetes/kubernetes pkg/proxy/ipvs/proxier_test.go tests for IPVS mode (see
// ipvs.test.ts): TestAcceptIPVSTraffic, TestOnlyLocalLoadBalancing, TestSessionAffinity,
// TestExternalIPs, TestOnlyLocalExternalIPs, TestEndpointSliceE2E,
// Test_EndpointSliceReadyAndTerminatingCluster, TestTestInternalTrafficPolicyE2E,
// TestMultiPortServiceBindAddr; plus the mh scheduler and createSet arguments.
import { describe, expect, it } from 'vitest';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { ipsetRestoreText, ipvsadmRestoreText, ipvsIptablesRestoreText } from './ipvs-restore.js';
import { checkIptables, entries, sync, TEST_NODE, vsKeys, vsLines } from './testing/ipvs-helpers.js';

// ---- ports of pkg/proxy/ipvs/proxier_test.go --------------------------------------------------

describe('upstream proxier_test.go', () => {
  it('TestAcceptIPVSTraffic', () => {
    const svcs = [
      { type: 'ClusterIP' as const, ip: '10.20.30.40', name: 'svc1' },
      { type: 'LoadBalancer' as const, ip: '10.20.30.41', name: 'svc2' },
      { type: 'NodePort' as const, ip: '10.20.30.42', name: 'svc3' },
    ].map((i) =>
      makeService('ns1', i.name, (s) => {
        s.type = i.type;
        s.clusterIP = i.ip;
        s.ports = [tcpPort('p80', 80, i.type === 'ClusterIP' ? undefined : 80)];
        if (i.type === 'LoadBalancer') s.loadBalancerIPs = ['1.2.3.4'];
        if (i.type === 'ClusterIP') s.externalIPs = ['5.6.7.8'];
      }),
    );
    const rs = sync(svcs, []);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-EXTERNAL-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-EXTERNAL-IP' }, // with externalTrafficOnlyArgs
        { jump: 'ACCEPT', matchSet: 'KUBE-EXTERNAL-IP' }, // with dstLocalOnlyArgs
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
    });
    const text = ipvsIptablesRestoreText(rs);
    expect(text).toContain('-m set --match-set KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT\n');
    expect(text).toContain('-m set --match-set KUBE-EXTERNAL-IP dst,dst -m addrtype --dst-type LOCAL -j ACCEPT\n');
  });

  it('TestOnlyLocalLoadBalancing', () => {
    const rs = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'LoadBalancer';
          s.clusterIP = '10.20.30.41';
          s.ports = [tcpPort('p80', 80, 3001)];
          s.loadBalancerIPs = ['1.2.3.4'];
          s.externalTrafficPolicy = 'Local';
        }),
      ],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }])],
    );
    expect(vsKeys(rs)).toHaveLength(2);
    expect(vsLines(rs, '-t 1.2.3.4:80')).toEqual(['-A -t 1.2.3.4:80 -s rr', '-a -t 1.2.3.4:80 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-LOCAL')).toEqual(['1.2.3.4,tcp:80']);
    checkIptables(rs, {
      'KUBE-LOAD-BALANCER': [{ jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-LOCAL' }, { jump: 'KUBE-MARK-MASQ' }],
    });
  });

  it('TestSessionAffinity: every virtual server is persistent with the ClientIP timeout', () => {
    const rs = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'NodePort';
          s.clusterIP = '10.20.30.41';
          s.externalIPs = ['50.60.70.81'];
          s.sessionAffinity = 'ClientIP';
          s.affinityTimeoutSeconds = 10800; // v1.DefaultClientIPServiceAffinitySeconds
          s.ports = [tcpPort('p80', 80, 3001)];
        }),
      ],
      [],
      { nodeAddresses: ['100.101.102.103'] },
    );
    expect(rs.virtualServers.map((v) => v.persistentTimeout)).toEqual([10800, 10800, 10800]);
    expect(ipvsadmRestoreText(rs)).toBe(
      '-C\n-A -t 10.20.30.41:80 -s rr -p 10800\n-A -t 50.60.70.81:80 -s rr -p 10800\n-A -t 100.101.102.103:3001 -s rr -p 10800\n',
    );
  });

  it('TestExternalIPs / TestOnlyLocalExternalIPs (IPv6 externalIPs are dropped; Local keeps the local endpoint)', () => {
    const svc = (local: boolean) =>
      makeService('ns1', 'svc1', (s) => {
        s.type = local ? 'NodePort' : 'ClusterIP';
        s.clusterIP = '10.20.30.41';
        s.externalIPs = ['50.60.70.81', '2012::51', '127.0.0.1'];
        s.ports = [tcpPort('p80', 80)];
        if (local) s.externalTrafficPolicy = 'Local';
      });
    const slice = makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }]);
    const rs = sync([svc(false)], [slice]);
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/50.60.70.81:80', 'TCP/127.0.0.1:80']);
    expect(entries(rs, 'KUBE-EXTERNAL-IP')).toEqual(['127.0.0.1,tcp:80', '50.60.70.81,tcp:80']);
    const local = sync([svc(true)], [slice]);
    expect(vsKeys(local)).toHaveLength(3);
    expect(vsLines(local, '-t 50.60.70.81:80').filter((l) => l.startsWith('-a'))).toEqual(['-a -t 50.60.70.81:80 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(local, 'KUBE-EXTERNAL-IP-LOCAL')).toEqual(['127.0.0.1,tcp:80', '50.60.70.81,tcp:80']);
    expect(entries(local, 'KUBE-EXTERNAL-IP')).toEqual([]);
    // An external IP that is a node address is not bound to kube-ipvs0 (shouldBind).
    const onNode = sync([svc(false)], [slice], { nodeAddresses: ['50.60.70.81'] });
    expect(onNode.bindAddresses).toEqual(['10.20.30.41', '127.0.0.1']);
  });

  it('TestEndpointSliceE2E / Test_EndpointSliceReadyAndTerminatingCluster: loop-back entries and ready destinations', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.type = 'NodePort';
      s.clusterIP = '172.20.1.1';
      s.externalIPs = ['1.2.3.4'];
      s.ports = [tcpPort('', 80)];
    });
    const slice = makeSlice(
      'ns1',
      'svc1',
      [
        endpoint('10.0.1.1', TEST_NODE),
        endpoint('10.0.1.2', TEST_NODE),
        endpoint('10.0.1.3', TEST_NODE, { ready: false, serving: true, terminating: true }),
        endpoint('10.0.1.4', TEST_NODE, { ready: false, serving: false, terminating: true }),
        endpoint('10.0.1.5', 'another-node'),
      ],
      [{ name: '', port: 80 }],
    );
    const rs = sync([svc], [slice]);
    expect(entries(rs, 'KUBE-LOOP-BACK')).toEqual([
      '10.0.1.1,tcp:80,10.0.1.1',
      '10.0.1.2,tcp:80,10.0.1.2',
      '10.0.1.3,tcp:80,10.0.1.3',
      '10.0.1.4,tcp:80,10.0.1.4',
    ]);
    for (const vip of ['172.20.1.1:80', '1.2.3.4:80']) {
      expect(
        vsLines(rs, `-t ${vip}`)
          .filter((l) => l.startsWith('-a'))
          .map((l) => l.split(' -r ')[1]),
      ).toEqual(['10.0.1.1:80 -m -w 1', '10.0.1.2:80 -m -w 1', '10.0.1.5:80 -m -w 1']);
    }
    // Deleting the slice empties KUBE-LOOP-BACK and the real servers, the virtual servers stay.
    const deleted = sync([svc], []);
    expect(entries(deleted, 'KUBE-LOOP-BACK')).toEqual([]);
    expect(ipvsadmRestoreText(deleted)).toBe('-C\n-A -t 172.20.1.1:80 -s rr\n-A -t 1.2.3.4:80 -s rr\n');
  });

  it('TestTestInternalTrafficPolicyE2E', () => {
    const run = (policy: 'Cluster' | 'Local', nodes: string[]) => {
      const svc = makeService('ns1', 'svc1', (s) => {
        s.clusterIP = '172.20.1.1';
        s.internalTrafficPolicy = policy;
        s.ports = [tcpPort('', 80)];
      });
      const slice = makeSlice(
        'ns1',
        'svc1',
        nodes.map((n, i) => endpoint(`10.0.1.${i + 1}`, n)),
        [{ name: '', port: 80 }],
      );
      const rs = sync([svc], [slice]);
      return { loop: entries(rs, 'KUBE-LOOP-BACK').length, rs: rs.virtualServers[0].realServers.map((r) => `${r.address}:${r.port}`) };
    };
    expect(run('Cluster', [TEST_NODE, 'node1', 'node2'])).toEqual({ loop: 1, rs: ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'] });
    expect(run('Cluster', ['node0', 'node1', 'node2'])).toEqual({ loop: 0, rs: ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'] });
    expect(run('Local', [TEST_NODE, 'node1', 'node2'])).toEqual({ loop: 1, rs: ['10.0.1.1:80'] });
    expect(run('Local', ['node0', 'node1', 'node2'])).toEqual({ loop: 0, rs: [] });
  });

  it('TestMultiPortServiceBindAddr: one address per VIP on kube-ipvs0', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '172.16.55.4';
      s.ports = [tcpPort('port1', 1234), tcpPort('port2', 1235), tcpPort('port3', 1236, undefined, 'UDP')];
    });
    expect(sync([svc], []).bindAddresses).toEqual(['172.16.55.4']);
    expect(sync([], []).bindAddresses).toEqual([]);
  });

  it('the "mh" scheduler sets FlagSourceHash; other schedulers pass through', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '10.20.30.41';
      s.ports = [tcpPort('p80', 80)];
    });
    expect(ipvsadmRestoreText(sync([svc], [], { scheduler: 'mh' }))).toBe('-C\n-A -t 10.20.30.41:80 -s mh -b mh-port\n');
    expect(ipvsadmRestoreText(sync([svc], [], { scheduler: 'wlc' }))).toBe('-C\n-A -t 10.20.30.41:80 -s wlc\n');
  });

  it('writes every set with createSet arguments, even when empty', () => {
    const text = ipsetRestoreText(sync([], []));
    expect(
      text
        .split('\n')
        .filter((l) => l.startsWith('create '))
        .map((l) => l.split(' ').slice(1, 3).join(' ')),
    ).toEqual([
      'KUBE-LOOP-BACK hash:ip,port,ip',
      'KUBE-CLUSTER-IP hash:ip,port',
      'KUBE-EXTERNAL-IP hash:ip,port',
      'KUBE-EXTERNAL-IP-LOCAL hash:ip,port',
      'KUBE-LOAD-BALANCER hash:ip,port',
      'KUBE-LOAD-BALANCER-FW hash:ip,port',
      'KUBE-LOAD-BALANCER-LOCAL hash:ip,port',
      'KUBE-LOAD-BALANCER-SOURCE-IP hash:ip,port,ip',
      'KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net',
      'KUBE-NODE-PORT-TCP bitmap:port',
      'KUBE-NODE-PORT-LOCAL-TCP bitmap:port',
      'KUBE-NODE-PORT-UDP bitmap:port',
      'KUBE-NODE-PORT-LOCAL-UDP bitmap:port',
      'KUBE-NODE-PORT-SCTP-HASH hash:ip,port',
      'KUBE-NODE-PORT-LOCAL-SCTP-HASH hash:ip,port',
      'KUBE-HEALTH-CHECK-NODE-PORT bitmap:port',
      'KUBE-IPVS-IPS hash:ip',
    ]);
    expect(text).not.toMatch(/^add /m);
  });
});
