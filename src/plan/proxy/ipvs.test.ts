// Unit tests for kube-proxy's IPVS mode (src/plan/proxy/ipvs.ts), pure: nothing here needs IPVS or
// dummy devices in the kernel (this machine has neither). Ports of kubernetes/kubernetes
// pkg/proxy/ipvs/proxier_test.go tests (same fixtures, same expectations; see testing/ipvs-helpers.ts):
// TestCreateAndLinkKubeChain, TestDismissLocalhostRuleExist, TestMasqueradeRule, TestNodePortIPv4,
// TestLoadBalancer, TestOnlyLocalNodePorts, TestHealthCheckNodePort, TestLoadBalancerSourceRanges;
// the others are in ipvs-services.test.ts.
import { describe, expect, it } from 'vitest';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { ipvsadmRestoreText, ipvsIptablesRestoreText } from './ipvs-restore.js';
import { chainRules, checkIptables, entries, sync, TEST_NODE, vsKeys, vsLines } from './testing/ipvs-helpers.js';

// ---- ports of pkg/proxy/ipvs/proxier_test.go --------------------------------------------------

describe('upstream proxier_test.go', () => {
  it('TestCreateAndLinkKubeChain: chain declarations per table', () => {
    const text = ipvsIptablesRestoreText(sync([], []));
    const chains = (t: string) =>
      text
        .split(`*${t}\n`)[1]
        .split('COMMIT')[0]
        .split('\n')
        .filter((l) => l.startsWith(':'))
        .join('\n') + '\n';
    expect(chains('nat')).toBe(
      ':KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n',
    );
    expect(chains('filter')).toBe(
      ':KUBE-FORWARD - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n:KUBE-SOURCE-RANGES-FIREWALL - [0:0]\n:KUBE-IPVS-FILTER - [0:0]\n:KUBE-IPVS-OUT-FILTER - [0:0]\n',
    );
  });

  it('TestDismissLocalhostRuleExist / TestMasqueradeRule', () => {
    const rs = sync([], []);
    expect(chainRules(ipvsIptablesRestoreText(rs), 'KUBE-SERVICES')[0]).toMatchObject({ jump: 'RETURN', source: '127.0.0.0/8' });
    const masq = (randomFully: boolean) =>
      chainRules(ipvsIptablesRestoreText(sync([], [], { randomFully })), 'KUBE-POSTROUTING').find((r) => r.jump === 'MASQUERADE')!.raw;
    expect(masq(true)).toMatch(/--random-fully$/);
    expect(masq(false)).not.toMatch(/--random-fully/);
  });

  describe('TestNodePortIPv4', () => {
    const svc1 = (proto: 'TCP' | 'UDP' | 'SCTP', local = false) =>
      makeService('ns1', 'svc1', (s) => {
        s.type = 'NodePort';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3001, proto)];
        if (local) s.externalTrafficPolicy = 'Local';
      });

    it('1 service with node port, has 2 endpoints (the IPv6 one is ignored)', () => {
      const rs = sync(
        [svc1('TCP')],
        [
          makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }]),
          makeSlice('ns1', 'svc1', [endpoint('1002:ab8::2:10')], [{ name: 'p80', port: 80 }]),
        ],
        { nodeAddresses: ['100.101.102.103', '2001:db8::1:1'] },
      );
      expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/100.101.102.103:3001']);
      expect(vsLines(rs, '-t 10.20.30.41:80')).toEqual(['-A -t 10.20.30.41:80 -s rr', '-a -t 10.20.30.41:80 -r 10.180.0.1:80 -m -w 1']);
      expect(vsLines(rs, '-t 100.101.102.103:3001')).toEqual(['-A -t 100.101.102.103:3001 -s rr', '-a -t 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
    });

    it('1 UDP service with node port, has endpoints', () => {
      const rs = sync([svc1('UDP')], [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80, protocol: 'UDP' }])], {
        nodeAddresses: ['100.101.102.103'],
      });
      expect(vsLines(rs, '-u 10.20.30.41:80')).toEqual(['-A -u 10.20.30.41:80 -s rr', '-a -u 10.20.30.41:80 -r 10.180.0.1:80 -m -w 1']);
      expect(vsLines(rs, '-u 100.101.102.103:3001')).toEqual(['-A -u 100.101.102.103:3001 -s rr', '-a -u 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
      expect(entries(rs, 'KUBE-NODE-PORT-UDP')).toEqual(['3001']);
      checkIptables(rs, {
        'KUBE-NODE-PORT': [
          { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-UDP' },
          { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
        ],
        'KUBE-SERVICES': [
          { jump: 'RETURN', source: '127.0.0.0/8' },
          { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
          { jump: 'KUBE-NODE-PORT' },
          { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        ],
      });
    });

    it('service has node port but no endpoints: virtual servers without real servers', () => {
      const rs = sync([svc1('TCP')], [], { nodeAddresses: ['100.101.102.103'] });
      expect(ipvsadmRestoreText(rs)).toBe('-C\n-A -t 10.20.30.41:80 -s rr\n-A -t 100.101.102.103:3001 -s rr\n');
    });

    it('node port service with protocol sctp on a node with multiple nodeIPs', () => {
      const rs = sync([svc1('SCTP')], [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80, protocol: 'SCTP' }])], {
        nodeAddresses: ['100.101.102.103', '100.101.102.104', '100.101.102.105', '2001:db8::1:1', '2001:db8::1:2', '2001:db8::1:3'],
      });
      expect(vsKeys(rs)).toEqual(['SCTP/10.20.30.41:80', 'SCTP/100.101.102.103:3001', 'SCTP/100.101.102.104:3001', 'SCTP/100.101.102.105:3001']);
      expect(vsLines(rs, '--sctp-service 100.101.102.104:3001')).toEqual([
        '-A --sctp-service 100.101.102.104:3001 -s rr',
        '-a --sctp-service 100.101.102.104:3001 -r 10.180.0.1:80 -m -w 1',
      ]);
      expect(entries(rs, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001', '100.101.102.104,sctp:3001', '100.101.102.105,sctp:3001']);
    });

    it('node port service with protocol sctp and externalTrafficPolicy local', () => {
      const rs = sync(
        [svc1('SCTP', true)],
        [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80, protocol: 'SCTP' }])],
        { nodeAddresses: ['100.101.102.103'] },
      );
      // ClusterIP: both endpoints; NodePort (external, Local): only the local one.
      expect(vsLines(rs, '--sctp-service 10.20.30.41:80').filter((l) => l.startsWith('-a'))).toHaveLength(2);
      expect(vsLines(rs, '--sctp-service 100.101.102.103:3001')).toEqual([
        '-A --sctp-service 100.101.102.103:3001 -s rr',
        '-a --sctp-service 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1',
      ]);
      expect(entries(rs, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
      expect(entries(rs, 'KUBE-NODE-PORT-LOCAL-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
      checkIptables(rs, {
        'KUBE-NODE-PORT': [
          { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH' },
          { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-SCTP-HASH' },
          { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
        ],
      });
    });
  });

  it('TestLoadBalancer (no node IPs: no NodePort virtual servers, 2 in all)', () => {
    const rs = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'LoadBalancer';
          s.clusterIP = '10.20.30.41';
          s.ports = [tcpPort('p80', 80, 3001)];
          s.loadBalancerIPs = ['1.2.3.4'];
        }),
      ],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }])],
    );
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/1.2.3.4:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
      'KUBE-LOAD-BALANCER': [{ jump: 'KUBE-MARK-MASQ' }],
    });
    // NoOp detector (NewFakeProxier): masquerade traffic whose source is a VIP.
    expect(ipvsIptablesRestoreText(rs)).toContain('--match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ\n');
    expect(rs.bindAddresses).toEqual(['10.20.30.41', '1.2.3.4']);
  });

  it('TestOnlyLocalNodePorts', () => {
    const rs = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'NodePort';
          s.clusterIP = '10.20.30.41';
          s.ports = [tcpPort('p80', 80, 3001)];
          s.externalTrafficPolicy = 'Local';
        }),
      ],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }])],
      { nodeAddresses: ['100.101.102.103'] },
    );
    expect(vsKeys(rs)).toHaveLength(2);
    expect(vsLines(rs, '-t 100.101.102.103:3001')).toEqual(['-A -t 100.101.102.103:3001 -s rr', '-a -t 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(rs, 'KUBE-NODE-PORT-TCP')).toEqual(['3001']);
    expect(entries(rs, 'KUBE-NODE-PORT-LOCAL-TCP')).toEqual(['3001']);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
      ],
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    });
  });

  it('TestHealthCheckNodePort: only LoadBalancer + Local services get their port in the set', () => {
    const sample = (name: string, hc: number, local: boolean) =>
      makeService('ns1', name, (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3000)];
        s.externalTrafficPolicy = local ? 'Local' : 'Cluster';
        s.healthCheckNodePort = hc;
      });
    const rs = sync([sample('valid-svc1', 30000, true), sample('valid-svc2', 30001, true), sample('invalid-svc3', 30002, false)], [], {
      nodeAddresses: ['100.101.102.103'],
    });
    expect(entries(rs, 'KUBE-HEALTH-CHECK-NODE-PORT')).toEqual(['30000', '30001']);
    checkIptables(rs, {
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    });
  });

  it('TestLoadBalancerSourceRanges (and the KUBE-IPVS-OUT-FILTER drop when the node IP is outside them)', () => {
    const rs = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'LoadBalancer';
          s.clusterIP = '10.20.30.41';
          s.ports = [tcpPort('p80', 80)];
          s.loadBalancerIPs = ['1.2.3.4'];
          s.loadBalancerSourceRanges = ['10.0.0.0/8'];
        }),
      ],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }])],
      { nodeIP: '100.101.102.103' },
    );
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/1.2.3.4:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-FW')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual(['1.2.3.4,tcp:80,10.0.0.0/8']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual([]);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
      'KUBE-PROXY-FIREWALL': [{ jump: 'KUBE-SOURCE-RANGES-FIREWALL', matchSet: 'KUBE-LOAD-BALANCER-FW' }],
      'KUBE-SOURCE-RANGES-FIREWALL': [{ jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-CIDR' }, { jump: 'DROP' }],
    });
    expect(chainRules(ipvsIptablesRestoreText(rs), 'KUBE-IPVS-OUT-FILTER').map((r) => r.raw)).toEqual([
      '-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP',
    ]);
    // A node inside the source range may reach its own LB VIP (allowFromNode).
    const inside = sync(
      [
        makeService('ns1', 'svc1', (s) => {
          s.type = 'LoadBalancer';
          s.clusterIP = '10.20.30.41';
          s.ports = [tcpPort('p80', 80)];
          s.loadBalancerIPs = ['1.2.3.4'];
          s.loadBalancerSourceRanges = ['10.0.0.0/8'];
        }),
      ],
      [],
      { nodeIP: '10.1.2.3' },
    );
    expect(entries(inside, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(['1.2.3.4,tcp:80,1.2.3.4']);
    expect(chainRules(ipvsIptablesRestoreText(inside), 'KUBE-IPVS-OUT-FILTER')).toEqual([]);
    checkIptables(inside, {
      'KUBE-SOURCE-RANGES-FIREWALL': [
        { jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-CIDR' },
        { jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-IP' },
        { jump: 'DROP' },
      ],
    });
  });
});
