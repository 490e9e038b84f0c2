// Address allocation as the real components do it:
// - node ranges: kubernetes/kubernetes pkg/controller/nodeipam/ipam/cidrset/cidr_set.go
//   (Occupy the ranges already on Nodes, then AllocateNext scans from nextCandidate);
// - pod addresses: containernetworking/plugins plugins/ipam/host-local (backend/allocator:
//   the gateway .1, network and broadcast are never handed out; the lowest free from .2).
import { describe, expect, it } from 'vitest';
import { allocateNodeCIDRs, allocatePodIPs, gatewayOf, nextPodIp, reservedPodAddresses, type AllocationResult } from './ipam.js';
import { parseCidr, ipToInt } from '../net/cidr.js';

function ok<T>(r: AllocationResult<T>): T {
  if (!r.ok) throw new Error(`allocation failed: ${r.message}`);
  return r.value;
}

describe('allocateNodeCIDRs (cidr_set.go)', () => {
  it('keeps pins and gives an unpinned node listed first the next free range (seed 004)', () => {
    const r = ok(allocateNodeCIDRs('10.8.0.0/16', 24, [{ name: 'cp1' }, { name: 'w1', pinned: '10.8.0.0/24' }, { name: 'w2', pinned: '10.8.1.0/24' }]));
    expect([...r.entries()]).toEqual([
      ['w1', '10.8.0.0/24'],
      ['w2', '10.8.1.0/24'],
      ['cp1', '10.8.2.0/24'],
    ]);
  });

  it('allocates in order 0, 1, 2 without pins', () => {
    const r = ok(allocateNodeCIDRs('10.8.0.0/16', 24, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]));
    expect(Object.fromEntries(r)).toEqual({ a: '10.8.0.0/24', b: '10.8.1.0/24', c: '10.8.2.0/24' });
  });

  it('skips a pinned range in the middle and moves the next candidate past each allocation', () => {
    const r = ok(allocateNodeCIDRs('10.8.0.0/16', 24, [{ name: 'a' }, { name: 'b', pinned: '10.8.1.0/24' }, { name: 'c' }, { name: 'd' }]));
    expect(Object.fromEntries(r)).toEqual({ a: '10.8.0.0/24', b: '10.8.1.0/24', c: '10.8.2.0/24', d: '10.8.3.0/24' });
  });

  it('uses the mask size: /16 split into /26', () => {
    const r = ok(allocateNodeCIDRs('10.244.0.0/16', 26, [{ name: 'a' }, { name: 'b' }]));
    expect(Object.fromEntries(r)).toEqual({ a: '10.244.0.0/26', b: '10.244.0.64/26' });
  });

  it('fails when the cluster network is exhausted, naming the node that got nothing', () => {
    // A /23 holds exactly two /24s.
    const r = allocateNodeCIDRs('10.8.0.0/23', 24, [{ name: 'a' }, { name: 'b', pinned: '10.8.0.0/24' }, { name: 'c' }]);
    expect(r).toEqual({
      ok: false,
      index: 2,
      message: 'the pod network 10.8.0.0/23 has no free /24 left for node "c"',
      fix: 'use a larger cluster.podCIDR or a larger cluster.nodeCIDRMaskSize',
    });
  });

  it('refuses a pin outside the cluster network', () => {
    const r = allocateNodeCIDRs('10.8.0.0/16', 24, [{ name: 'a' }, { name: 'b', pinned: '10.9.0.0/24' }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.index).toBe(1);
    expect(r.message).toBe('podCIDR 10.9.0.0/24 is not a /24 inside the cluster pod network 10.8.0.0/16');
    expect(r.fix).toMatch(/^pick a \/24 inside 10\.8\.0\.0\/16/);
  });

  it('refuses a pin with the wrong prefix length', () => {
    const r = allocateNodeCIDRs('10.8.0.0/16', 24, [{ name: 'a', pinned: '10.8.0.0/25' }]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('podCIDR 10.8.0.0/25 is not a /24 inside the cluster pod network 10.8.0.0/16');
  });

  it('refuses the same range pinned twice', () => {
    const r = allocateNodeCIDRs('10.8.0.0/16', 24, [
      { name: 'a', pinned: '10.8.3.0/24' },
      { name: 'b', pinned: '10.8.3.0/24' },
    ]);
    expect(r).toMatchObject({ ok: false, index: 1, message: 'podCIDR 10.8.3.0/24 is already used by another node' });
  });
});

describe('allocatePodIPs (host-local)', () => {
  it('keeps pinned addresses and gives the others .2, .3, ... skipping the pinned ones', () => {
    const r = ok(
      allocatePodIPs('10.8.0.0/24', [
        { key: 'default/a', pinned: '10.8.0.3' },
        { key: 'default/b' },
        { key: 'default/c' },
        { key: 'default/d', pinned: '10.8.0.5' },
        { key: 'default/e' },
      ]),
    );
    expect(Object.fromEntries(r)).toEqual({
      'default/a': '10.8.0.3',
      'default/b': '10.8.0.2',
      'default/c': '10.8.0.4',
      'default/d': '10.8.0.5',
      'default/e': '10.8.0.6',
    });
  });

  it('never hands out the network, gateway or broadcast address', () => {
    const range = '10.8.1.0/29'; // .0 network, .1 gateway, .7 broadcast: .2 - .6 are free
    const pods = ['p1', 'p2', 'p3', 'p4', 'p5'].map((key) => ({ key }));
    const r = ok(allocatePodIPs(range, pods));
    expect([...r.values()]).toEqual(['10.8.1.2', '10.8.1.3', '10.8.1.4', '10.8.1.5', '10.8.1.6']);
    expect(reservedPodAddresses(parseCidr(range))).toEqual(new Set([ipToInt('10.8.1.0'), ipToInt('10.8.1.1'), ipToInt('10.8.1.7')]));
    expect(gatewayOf(range)).toBe('10.8.1.1');
  });

  it('gives the same result whatever the input order (sorted by key)', () => {
    const pods = [{ key: 'default/zeta' }, { key: 'default/alpha' }, { key: 'kube-system/dns', pinned: '10.8.0.2' }, { key: 'default/mid' }];
    const a = Object.fromEntries(ok(allocatePodIPs('10.8.0.0/24', pods)));
    const b = Object.fromEntries(ok(allocatePodIPs('10.8.0.0/24', [...pods].reverse())));
    const c = Object.fromEntries(ok(allocatePodIPs('10.8.0.0/24', [pods[2], pods[0], pods[3], pods[1]])));
    expect(a).toEqual({ 'default/alpha': '10.8.0.3', 'default/mid': '10.8.0.4', 'default/zeta': '10.8.0.5', 'kube-system/dns': '10.8.0.2' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('fails when the node range is full, naming the pod by its input index', () => {
    const r = allocatePodIPs('10.8.0.0/30', [{ key: 'b' }, { key: 'a' }]); // /30: only .2 is usable
    expect(r).toEqual({
      ok: false,
      index: 0,
      message: 'node range 10.8.0.0/30 is full',
      fix: 'use a smaller cluster.nodeCIDRMaskSize or fewer pods on this node',
    });
  });

  it('refuses a pin on the gateway, the network or the broadcast address', () => {
    expect(allocatePodIPs('10.8.0.0/24', [{ key: 'a' }, { key: 'b', pinned: '10.8.0.1' }])).toMatchObject({
      ok: false,
      index: 1,
      message: 'address 10.8.0.1 is the cni0 gateway',
    });
    expect(allocatePodIPs('10.8.0.0/24', [{ key: 'a', pinned: '10.8.0.0' }])).toMatchObject({ ok: false, message: 'address 10.8.0.0 is the network address' });
    expect(allocatePodIPs('10.8.0.0/24', [{ key: 'a', pinned: '10.8.0.255' }])).toMatchObject({
      ok: false,
      message: 'address 10.8.0.255 is the broadcast address',
    });
  });

  it('refuses a pin outside the node range and a pin used twice', () => {
    expect(allocatePodIPs('10.8.0.0/24', [{ key: 'a', pinned: '10.8.5.5' }])).toEqual({
      ok: false,
      index: 0,
      message: "address 10.8.5.5 is outside its node's pod range 10.8.0.0/24",
      fix: 'pick an address from 10.8.0.2 to 10.8.0.254, or remove the annotation',
    });
    expect(
      allocatePodIPs('10.8.0.0/24', [
        { key: 'a', pinned: '10.8.0.9' },
        { key: 'b', pinned: '10.8.0.9' },
      ]),
    ).toMatchObject({
      ok: false,
      index: 1,
      message: 'address 10.8.0.9 is already used by another pod',
    });
  });
});

describe('nextPodIp (host-local for a node agent)', () => {
  it('starts after the last address handed out and wraps around, never the gateway or the ends', () => {
    expect(nextPodIp('10.8.0.0/29', new Set())).toEqual({ ip: '10.8.0.2' });
    expect(nextPodIp('10.8.0.0/29', new Set(['10.8.0.2']), undefined, '10.8.0.2')).toEqual({ ip: '10.8.0.3' });
    // 10.8.0.3 was released just now: the next pod gets .4, not .3 again.
    expect(nextPodIp('10.8.0.0/29', new Set(['10.8.0.2']), undefined, '10.8.0.3')).toEqual({ ip: '10.8.0.4' });
    expect(nextPodIp('10.8.0.0/29', new Set(['10.8.0.2', '10.8.0.3']), undefined, '10.8.0.6')).toEqual({ ip: '10.8.0.4' });
    expect(nextPodIp('10.8.0.0/29', new Set(['10.8.0.2', '10.8.0.3', '10.8.0.4', '10.8.0.5', '10.8.0.6']))).toEqual({
      error: 'no free address left in 10.8.0.0/29',
    });
  });

  it('takes a pinned address when it is free and in range', () => {
    expect(nextPodIp('10.8.0.0/24', new Set(), '10.8.0.9')).toEqual({ ip: '10.8.0.9' });
    expect(nextPodIp('10.8.0.0/24', new Set(['10.8.0.9']), '10.8.0.9')).toEqual({ error: '10.8.0.9 is already in use on this node' });
    expect(nextPodIp('10.8.0.0/24', new Set(), '10.8.0.1')).toEqual({ error: '10.8.0.1 is the network, gateway or broadcast address of 10.8.0.0/24' });
    expect(nextPodIp('10.8.0.0/24', new Set(), '10.8.1.9')).toEqual({ error: "the pinned address 10.8.1.9 is not in the node's pod range 10.8.0.0/24" });
  });
});
