// The pod side of the CNI bridge plugin as flannel delegates to it: containernetworking/plugins
// plugins/main/bridge/bridge.go (cni0, isGateway, hairpinMode, veth peer created in the pod
// netns) with the delegate config of flannel-io/cni-plugin flannel_linux.go (mtu = FLANNEL_MTU,
// routes [{dst: <network>}], isDefaultGateway).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLabSource } from '../../labfile/load.js';
import { resolveModel } from '../../model/resolve.js';
import type { ClusterModel } from '../../model/types.js';
import { podVethName } from '../../model/names.js';
import type { Op } from '../types.js';
import { BRIDGE, bridgeNodeInterfaces, planBridgeNode, planBridgePod } from './bridge.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const opts = { mtu: 1450, podRoutes: ['10.8.0.0/16'] };
let model: ClusterModel;
beforeAll(() => {
  model = resolveModel(parseLabSource(readFileSync(join(root, 'labs/flannel-vxlan.yaml'), 'utf8'), 'flannel-vxlan.yaml'));
});

const line = (op: Op): string => ('args' in op ? `${op.kind} ${op.args.join(' ')}` : op.kind);
const node = (name: string) => model.nodes.find((n) => n.name === name)!;
const pod = (name: string) => model.pods.find((p) => p.name === name)!;

describe('bridge plugin: inside the pod', () => {
  it('gives pod-a its address, the cluster route and the default route via the gateway', () => {
    const ops = planBridgePod(model, pod('pod-a'), node('w1'), opts);
    expect(ops.every((o) => 'netns' in o && o.netns === 'wl-flannel-vxlan.pod-a')).toBe(true);
    expect(ops.map(line)).toEqual([
      'ip link set lo up',
      'ip addr add 10.8.0.5/24 dev eth0',
      'ip link set eth0 up',
      'ip route add 10.8.0.0/16 via 10.8.0.1 dev eth0',
      'ip route add default via 10.8.0.1 dev eth0',
    ]);
  });

  it("uses the pod's own node gateway (pod-d on w2: 10.8.1.1)", () => {
    const ops = planBridgePod(model, pod('pod-d'), node('w2'), opts).map(line);
    expect(ops).toContain('ip addr add 10.8.1.10/24 dev eth0');
    expect(ops).toContain('ip route add default via 10.8.1.1 dev eth0');
  });
});

describe('bridge plugin: on the node', () => {
  it('creates cni0 with the gateway address and the flannel MTU', () => {
    const ops = planBridgeNode(model, node('w1'), opts, { nodeAddresses: {}, hostVeths: {} }).map(line);
    expect(ops[0]).toMatch(/^ip link add cni0 address [0-9a-f:]{17} mtu 1450 type bridge$/);
    expect(ops[1]).toBe('ip addr add 10.8.0.1/24 dev cni0');
    expect(ops[2]).toBe('ip link set cni0 up');
    expect(BRIDGE).toBe('cni0');
  });

  it('creates the veth from the node with its eth0 peer directly in the pod namespace, hairpin on', () => {
    const veth = podVethName('default', 'pod-a');
    expect(veth).toMatch(/^veth[0-9a-f]{8}$/);
    const ops = planBridgeNode(model, node('w1'), opts, { nodeAddresses: {}, hostVeths: {} });
    const adds = ops.filter((o) => o.kind === 'ip' && o.args[0] === 'link' && o.args[1] === 'add' && o.args[2] === veth);
    expect(adds).toHaveLength(1);
    const add = adds[0];
    expect(add.kind === 'ip' && add.netns).toBe('wl-flannel-vxlan.w1');
    expect(line(add)).toMatch(
      new RegExp(`^ip link add ${veth} address [0-9a-f:]{17} mtu 1450 type veth peer name eth0 address [0-9a-f:]{17} mtu 1450 netns wl-flannel-vxlan\\.pod-a$`),
    );
    const lines = ops.map(line);
    const at = lines.indexOf(line(add));
    expect(lines[at + 1]).toBe(`ip link set ${veth} master cni0 up`);
    expect(lines[at + 2]).toBe(`ip link set ${veth} type bridge_slave hairpin on`);
  });

  it('creates one veth per pod of that node only', () => {
    const w1 = planBridgeNode(model, node('w1'), opts, { nodeAddresses: {}, hostVeths: {} }).map(line);
    expect(w1.filter((l) => / type veth peer /.test(l)).map((l) => l.split(' netns ')[1])).toEqual(['wl-flannel-vxlan.pod-a', 'wl-flannel-vxlan.pod-b']);
    expect(
      planBridgeNode(model, node('cp1'), opts, { nodeAddresses: {}, hostVeths: {} })
        .map(line)
        .some((l) => l.includes('veth')),
    ).toBe(false);
    expect(bridgeNodeInterfaces(model, node('w2'))).toEqual(['cni0', podVethName('default', 'pod-d')]);
  });
});
