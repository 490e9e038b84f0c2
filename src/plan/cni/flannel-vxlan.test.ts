// What flanneld's VXLAN backend programs on a node, checked against the model of
// labs/flannel-vxlan.yaml (cp1 10.10.20.3 / 10.8.2.0/24, w1 10.10.20.4 / 10.8.0.0/24,
// w2 10.10.20.5 / 10.8.1.0/24).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLabSource } from '../../labfile/load.js';
import { resolveModel } from '../../model/resolve.js';
import type { ClusterModel } from '../../model/types.js';
import type { Op } from '../types.js';
import type { CniPlan } from './types.js';
import {
  FLANNEL_VNI,
  FLANNEL_VXLAN_PORT,
  VXLAN_OVERHEAD,
  flannelMtu,
  flannelVxlan,
  peersOf,
  renderFlannelRules,
  renderSubnetEnv,
  subnetEnvPath,
  vtepMac,
} from './flannel-vxlan.js';
import { cniBackend, cniBackends } from './registry.js';
import { isPodNetworkKind } from '../../model/pod-networks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const W1 = 'wl-flannel-vxlan.w1';
const W2 = 'wl-flannel-vxlan.w2';
const CP1 = 'wl-flannel-vxlan.cp1';

let model: ClusterModel;
let plan: CniPlan;
beforeAll(() => {
  model = resolveModel(parseLabSource(readFileSync(join(root, 'labs/flannel-vxlan.yaml'), 'utf8'), 'flannel-vxlan.yaml'));
  plan = flannelVxlan.plan(model);
});

const line = (op: Op): string => ('args' in op ? `${op.kind} ${op.args.join(' ')}` : op.kind);
const linesIn = (netns: string): string[] => plan.nodeOps.filter((o) => 'netns' in o && o.netns === netns).map(line);

/** The MAC a node's flannel.1 is created with, read from its own `link add flannel.1` op. */
function createdVtepMac(netns: string): string {
  const adds = linesIn(netns).filter((l) => l.startsWith('ip link add flannel.1 '));
  expect(adds).toHaveLength(1);
  const m = /^ip link add flannel\.1 address ([0-9a-f:]{17}) /.exec(adds[0]);
  expect(m).not.toBeNull();
  return m![1];
}

describe('flannel VXLAN: the flannel.1 device', () => {
  it('is created with VNI 1, port 8472, learning off, MTU 1500 - 50, local = node IP, on eth0', () => {
    expect(VXLAN_OVERHEAD).toBe(50);
    expect(flannelMtu(model)).toBe(1450);
    const mac = createdVtepMac(W1);
    expect(linesIn(W1)).toContain(`ip link add flannel.1 address ${mac} mtu 1450 type vxlan id 1 local 10.10.20.4 dev eth0 dstport 8472 nolearning`);
    expect(createdVtepMac(W1)).toBe(vtepMac('flannel-vxlan', 'w1'));
    expect([FLANNEL_VNI, FLANNEL_VXLAN_PORT]).toEqual([1, 8472]);
  });

  it('gets the lease network address as a /32 and comes up', () => {
    const w1 = linesIn(W1);
    expect(w1).toContain('ip addr add 10.8.0.0/32 dev flannel.1');
    expect(w1.indexOf('ip addr add 10.8.0.0/32 dev flannel.1')).toBeGreaterThan(w1.findIndex((l) => l.startsWith('ip link add flannel.1 ')));
    expect(w1.indexOf('ip link set flannel.1 up')).toBeGreaterThan(w1.indexOf('ip addr add 10.8.0.0/32 dev flannel.1'));
    expect(linesIn(W2)).toContain('ip addr add 10.8.1.0/32 dev flannel.1');
    expect(linesIn(CP1)).toContain('ip addr add 10.8.2.0/32 dev flannel.1');
  });

  it('has a distinct, locally administered unicast MAC on every node', () => {
    const macs = [CP1, W1, W2].map(createdVtepMac);
    expect(new Set(macs).size).toBe(3);
    for (const mac of macs) {
      const first = parseInt(mac.slice(0, 2), 16);
      expect(first & 0x01, mac).toBe(0); // unicast
      expect(first & 0x02, mac).toBe(2); // locally administered
    }
  });
});

describe('flannel VXLAN: one neighbour / FDB / route triplet per remote node', () => {
  it('programs w1 for w2 with the MAC w2 creates its own flannel.1 with', () => {
    const w2Mac = createdVtepMac(W2);
    const w1 = linesIn(W1);
    const neigh = `ip neigh replace 10.8.1.0 lladdr ${w2Mac} dev flannel.1 nud permanent`;
    const fdb = `bridge fdb replace ${w2Mac} dev flannel.1 dst 10.10.20.5 self permanent`;
    const route = 'ip route replace 10.8.1.0/24 via 10.8.1.0 dev flannel.1 onlink';
    for (const l of [neigh, fdb, route])
      expect(
        w1.filter((x) => x === l),
        l,
      ).toHaveLength(1);
    // flannel's order: neighbour, then FDB, then (last, so the kernel never ARPs) the route.
    expect(w1.filter((l) => l === neigh || l === fdb || l === route)).toEqual([neigh, fdb, route]);
  });

  it('programs w1 for cp1 (allocated 10.8.2.0/24) the same way', () => {
    const cpMac = createdVtepMac(CP1);
    const w1 = linesIn(W1);
    expect(w1.filter((l) => l === `ip neigh replace 10.8.2.0 lladdr ${cpMac} dev flannel.1 nud permanent`)).toHaveLength(1);
    expect(w1.filter((l) => l === `bridge fdb replace ${cpMac} dev flannel.1 dst 10.10.20.3 self permanent`)).toHaveLength(1);
    expect(w1.filter((l) => l === 'ip route replace 10.8.2.0/24 via 10.8.2.0 dev flannel.1 onlink')).toHaveLength(1);
  });

  it('has exactly two triplets on w1 and none for w1 itself', () => {
    const w1 = linesIn(W1);
    expect(w1.filter((l) => l.startsWith('ip neigh '))).toHaveLength(2);
    expect(w1.filter((l) => l.startsWith('bridge fdb '))).toHaveLength(2);
    expect(w1.filter((l) => l.startsWith('ip route replace '))).toHaveLength(2);
    expect(w1.some((l) => l.includes('10.8.0.0/24 via') || l.includes('dst 10.10.20.4'))).toBe(false);
    // planFlannelPeers: every neighbour, then every FDB entry, then every route.
    const kinds = w1.flatMap((l) =>
      l.startsWith('ip neigh ') ? ['neigh'] : l.startsWith('bridge fdb ') ? ['fdb'] : l.startsWith('ip route replace ') ? ['route'] : [],
    );
    expect(kinds).toEqual(['neigh', 'neigh', 'fdb', 'fdb', 'route', 'route']);
  });

  it('peersOf lists every other node with its lease, VTEP MAC and public IP', () => {
    const w1 = model.nodes.find((n) => n.name === 'w1')!;
    expect(peersOf(model, w1)).toEqual([
      { leaseIp: '10.8.2.0', lease: '10.8.2.0/24', vtepMac: createdVtepMac(CP1), publicIp: '10.10.20.3' },
      { leaseIp: '10.8.1.0', lease: '10.8.1.0/24', vtepMac: createdVtepMac(W2), publicIp: '10.10.20.5' },
    ]);
  });
});

describe('flanneld iptables rules and subnet.env', () => {
  it('renders MasqRules and ForwardRules as iptables-save text', () => {
    // flannel-io/flannel pkg/trafficmngr/iptables/iptables.go MasqRules / ForwardRules.
    expect(renderFlannelRules('10.8.0.0/16', '10.8.0.0/24')).toBe(
      [
        '*nat',
        ':FLANNEL-POSTRTG - [0:0]',
        '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
        '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG -s 10.8.0.0/24 -d 10.8.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG -s 10.8.0.0/16 -d 10.8.0.0/24 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG ! -s 10.8.0.0/16 -d 10.8.0.0/24 -m comment --comment "flanneld masq" -j RETURN',
        '-A FLANNEL-POSTRTG -s 10.8.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
        '-A FLANNEL-POSTRTG ! -s 10.8.0.0/16 -d 10.8.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
        'COMMIT',
        '*filter',
        ':FLANNEL-FWD - [0:0]',
        '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
        '-A FLANNEL-FWD -s 10.8.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
        '-A FLANNEL-FWD -d 10.8.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('drops --random-fully when the iptables lacks it', () => {
    const rules = renderFlannelRules('10.8.0.0/16', '10.8.1.0/24', false);
    expect(rules).not.toContain('--random-fully');
    expect(rules).toContain('-A FLANNEL-POSTRTG -s 10.8.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE\n');
  });

  it('restores the rules of each node lease in the node namespace', () => {
    const w2 = plan.ruleOps.find((o) => o.kind === 'iptables-restore' && o.netns === W2);
    expect(w2).toEqual({ kind: 'iptables-restore', netns: W2, rules: renderFlannelRules('10.8.0.0/16', '10.8.1.0/24') });
    expect(plan.ruleOps).toHaveLength(3);
  });

  it('writes subnet.env as WriteSubnetFile does (first address of the lease)', () => {
    // flannel-io/flannel pkg/subnet/subnet.go WriteSubnetFile: FLANNEL_SUBNET is sn.IncrementIP().
    expect(renderSubnetEnv('10.8.0.0/16', '10.8.0.0/24', 1450)).toBe(
      'FLANNEL_NETWORK=10.8.0.0/16\nFLANNEL_SUBNET=10.8.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
    expect(plan.fileOps).toContainEqual({
      kind: 'file',
      path: subnetEnvPath('cp1'),
      content: 'FLANNEL_NETWORK=10.8.0.0/16\nFLANNEL_SUBNET=10.8.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    });
    expect(subnetEnvPath('w1')).toBe('nodes/w1/run/flannel/subnet.env');
  });
});

describe('interfaces and registry', () => {
  it('lists the interfaces flannel creates per node and pod', () => {
    expect(plan.interfaces.cp1).toEqual(['cni0', 'flannel.1']);
    expect(plan.interfaces.w1).toHaveLength(4);
    expect(plan.interfaces.w1[0]).toBe('cni0');
    expect(plan.interfaces.w1[3]).toBe('flannel.1');
    expect(plan.interfaces['pod-d']).toEqual(['lo', 'eth0']);
  });

  it('is the registry entry for flannel-vxlan', () => {
    expect(cniBackends().map((b) => b.kind)).toContain('flannel-vxlan');
    expect(cniBackend('flannel-vxlan')).toBe(flannelVxlan);
    expect(isPodNetworkKind('calico')).toBe(false);
    expect(flannelVxlan.requires).toContain('CONFIG_VXLAN');
  });
});
