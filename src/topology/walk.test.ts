// Hops to edges: the devices and links a walk crosses between consecutive capture points.
import { describe, expect, it } from 'vitest';
import { FLANNEL_CROSS_NODE_PATH, labTopology } from './testing/labs.js';
import { route, walk } from './walk.js';
import type { Topology } from './types.js';

const t = await labTopology('flannel-vxlan');
const link = (topo: Topology, id: string) => {
  const l = topo.links.find((x) => x.id === id)!;
  return `${l.kind} ${l.a} ${l.b}`;
};

describe('the flannel-vxlan cross-node walk (pod-a -> pod-d, as the lab file lists its hops)', () => {
  const hops = [
    { point: 'pod-a/eth0', encapsulated: false },
    { point: 'w1/cni0', encapsulated: false },
    { point: 'w1/flannel.1', encapsulated: false },
    { point: 'w1/eth0', encapsulated: true },
    { point: 'underlay/br0', encapsulated: true },
    { point: 'w2/flannel.1', encapsulated: false },
    { point: 'pod-d/eth0', encapsulated: false },
  ];
  const w = walk(t, hops);

  it('crosses every device between pod-a and pod-d once, in order', () => {
    expect(w.segments.flatMap((s, i) => (i === 0 ? s.devices : s.devices.slice(1)))).toEqual(FLANNEL_CROSS_NODE_PATH);
  });

  it('maps each pair of consecutive hops to the links between them, in order', () => {
    expect(w.segments.map((s) => s.links.map((id) => link(t, id)))).toEqual([
      ['veth pod-a/eth0 w1/veth71866a09', 'port w1/veth71866a09 w1/cni0'],
      ['stack w1/cni0 stack:w1', 'stack stack:w1 w1/flannel.1'],
      ['encap w1/flannel.1 w1/eth0'],
      ['veth w1/eth0 underlay/p-w1', 'port underlay/p-w1 underlay/br0'],
      ['port underlay/p-w2 underlay/br0', 'veth w2/eth0 underlay/p-w2', 'encap w2/flannel.1 w2/eth0'],
      ['stack stack:w2 w2/flannel.1', 'stack w2/cni0 stack:w2', 'port w2/vethf8f7afdc w2/cni0', 'veth pod-d/eth0 w2/vethf8f7afdc'],
    ]);
    expect(w.segments.map((s) => [s.from, s.to])).toEqual(hops.slice(1).map((h, i) => [hops[i].point, h.point]));
  });

  it('lights the overlay between the two flannel.1 devices it crossed', () => {
    expect(w.overlay.map((id) => link(t, id))).toEqual(['tunnel w1/flannel.1 w2/flannel.1']);
  });

  it('decapsulates at the tunnel device even when no hop names it, and never routes an encapsulated packet', () => {
    const s = route(t, { point: 'w1/eth0', encapsulated: true }, { point: 'pod-d/eth0', encapsulated: false });
    expect(s.devices).toEqual(FLANNEL_CROSS_NODE_PATH.slice(FLANNEL_CROSS_NODE_PATH.indexOf('w1/eth0')));
  });

  it('sends cross-node pod traffic through flannel.1 when no hop says, and same-node traffic over cni0 only', () => {
    expect(route(t, { point: 'pod-a/eth0' }, { point: 'pod-d/eth0' }).devices).toContain('w1/flannel.1');
    expect(route(t, { point: 'pod-a/eth0' }, { point: 'pod-b/eth0' }).devices).toEqual([
      'pod-a/eth0',
      'w1/veth71866a09',
      'w1/cni0',
      'w1/veth06316318',
      'pod-b/eth0',
    ]);
  });

  it('skips a point repeated in a row (the request and the reply seen at one interface)', () => {
    expect(walk(t, [{ point: 'pod-d/eth0' }, { point: 'pod-d/eth0' }]).segments).toEqual([]);
  });
});
