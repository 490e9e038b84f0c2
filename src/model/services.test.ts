import { describe, expect, it } from 'vitest';
import { allocateClusterIPs, allocateLoadBalancerIPs, allocateNodePorts, electAnnouncers, staticBandSize, selectorMatches } from './services.js';
import { containsIp, parseCidr, ipToInt } from '../net/cidr.js';
import type { Node, Service } from './types.js';

describe('ClusterIP allocation (ipallocator, KEP-3070 static band)', () => {
  it('keeps given addresses and puts the others above the static band, inside the range', () => {
    const ips = allocateClusterIPs('10.96.0.0/12', [{ key: 'default/a' }, { key: 'default/b', given: '10.96.0.10' }, { key: 'default/c' }]);
    expect(ips.get('default/b')).toBe('10.96.0.10');
    for (const k of ['default/a', 'default/c']) {
      const ip = ips.get(k)!;
      expect(containsIp(parseCidr('10.96.0.0/12'), ip)).toBe(true);
      expect(ipToInt(ip) - ipToInt('10.96.0.0')).toBeGreaterThanOrEqual(256); // /12: 256 static addresses
    }
    expect(new Set(ips.values()).size).toBe(3);
  });

  it('does not depend on the order of the services', () => {
    const a = allocateClusterIPs('10.96.0.0/12', [{ key: 'x/a' }, { key: 'x/b' }]);
    const b = allocateClusterIPs('10.96.0.0/12', [{ key: 'x/b' }, { key: 'x/a' }]);
    expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
  });

  it('sizes the static band as min(max(16, size/16), 256)', () => {
    expect(staticBandSize(2 ** 20)).toBe(256);
    expect(staticBandSize(256)).toBe(16);
    expect(staticBandSize(1024)).toBe(64);
  });

  it('probes past collisions in a tiny range', () => {
    const ips = allocateClusterIPs(
      '10.96.0.0/27',
      Array.from({ length: 10 }, (_, i) => ({ key: `n/s${i}` })),
    );
    expect(new Set(ips.values()).size).toBe(10);
  });
});

describe('node port allocation (portallocator, KEP-3668)', () => {
  it('keeps given ports and allocates the others above the static band', () => {
    const ports = allocateNodePorts([{ key: 'a', given: 30080 }, { key: 'b' }]);
    expect(ports.get('a')).toBe(30080);
    expect(ports.get('b')).toBeGreaterThanOrEqual(30086);
    expect(ports.get('b')).toBeLessThanOrEqual(32767);
  });
});

describe('MetalLB', () => {
  it('hands out the first free address of the pool', () => {
    const ips = allocateLoadBalancerIPs(
      [{ name: 'p', ranges: [['10.10.20.201', '10.10.20.203']] }],
      [
        { key: 'b/y', given: [] },
        { key: 'a/x', given: ['10.10.20.201'] },
        { key: 'c/z', given: [] },
      ],
    );
    expect(ips.get('b/y')).toEqual(['10.10.20.202']);
    expect(ips.get('c/z')).toEqual(['10.10.20.203']);
  });

  it('elects the worker with the smallest sha256(node#ip), only nodes with local endpoints for Local', () => {
    const nodes: Node[] = ['cp1', 'w1', 'w2'].map((name) => ({
      name,
      role: name === 'cp1' ? 'control-plane' : 'worker',
      ip: '',
      podCIDR: '',
      podCIDRSource: 'pinned',
    }));
    const svc = { name: 'lb', namespace: 'default', type: 'LoadBalancer', loadBalancerIPs: ['10.10.20.201'], externalTrafficPolicy: 'Cluster' } as Service;
    // sha256("w2#10.10.20.201") = 632c0c43... < sha256("w1#10.10.20.201") = a27a4891...
    expect(electAnnouncers([svc], [], nodes)).toEqual([{ ip: '10.10.20.201', node: 'w2', service: 'default/lb' }]);
    const local = { ...svc, externalTrafficPolicy: 'Local' } as Service;
    const slice = {
      name: 'x',
      namespace: 'default',
      serviceName: 'lb',
      ports: [],
      endpoints: [{ ip: '10.8.0.5', podName: 'a', nodeName: 'w1', ready: true, serving: true, terminating: false }],
    };
    expect(electAnnouncers([local], [slice], nodes)[0].node).toBe('w1');
  });
});

describe('selectors', () => {
  it('match when every key of the selector has the same value', () => {
    expect(selectorMatches({ app: 'web' }, { app: 'web', tier: 'fe' })).toBe(true);
    expect(selectorMatches({ app: 'web', tier: 'be' }, { app: 'web', tier: 'fe' })).toBe(false);
  });
});
