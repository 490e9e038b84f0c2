// The "physical" network: a switch namespace holding one bridge, a veth per node whose far end
// is the node's eth0. Devices are created directly in their target namespace (`peer ... netns`)
// because moving a device between namespaces afterwards costs ~16 ms each.
import type { ClusterModel } from '../model/types.js';
import { macFor, netnsName, UNDERLAY, UNDERLAY_BRIDGE, underlayPortName } from '../model/names.js';
import { bridgePort, vethPair } from './links.js';
import type { Op } from './types.js';

export function planUnderlay(model: ClusterModel): Op[] {
  const sw = netnsName(model.lab, UNDERLAY);
  const mtu = String(model.underlay.mtu);
  const ops: Op[] = [
    // A plain learning switch: bridged frames must not be filtered by this namespace's iptables.
    { kind: 'sysctl', netns: sw, key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
    { kind: 'ip', netns: sw, args: ['link', 'set', 'lo', 'up'] },
    { kind: 'ip', netns: sw, args: ['link', 'add', UNDERLAY_BRIDGE, 'address', macFor(`${model.lab}/underlay/br0`), 'mtu', mtu, 'type', 'bridge'] },
  ];
  for (const n of model.nodes) {
    const port = underlayPortName(n.name);
    ops.push(
      vethPair({ netns: sw, name: port, mtu, peerNetns: netnsName(model.lab, n.name), peerMac: macFor(`${model.lab}/${n.name}/eth0`) }),
      bridgePort(sw, port, UNDERLAY_BRIDGE),
    );
  }
  ops.push({ kind: 'ip', netns: sw, args: ['link', 'set', UNDERLAY_BRIDGE, 'up'] });
  // netem on each node's port delays (and drops) what the switch sends to that node: every
  // crossing of the underlay, in either direction, pays it once.
  const netem = model.underlay.netem;
  if (netem) {
    const params = [...(netem.delay ? ['delay', netem.delay] : []), ...(netem.loss ? ['loss', netem.loss] : [])];
    for (const n of model.nodes) ops.push({ kind: 'tc', netns: sw, args: ['qdisc', 'add', 'dev', underlayPortName(n.name), 'root', 'netem', ...params] });
  }
  return ops;
}

export function underlayInterfaces(model: ClusterModel): string[] {
  return ['lo', UNDERLAY_BRIDGE, ...model.nodes.map((n) => underlayPortName(n.name))];
}
