// Machines outside the cluster: external clients on the underlay, and a router between the
// underlay and a small "internet" (hosts in their own namespaces, behind a bridge in the
// router's namespace). Nodes use the router as their default gateway, so pod -> internet
// traffic leaves through a node and shows the node's SNAT on the wire. Nothing here reaches a
// real network: every address lives in a namespace of the lab.
import type { ClusterModel } from '../model/types.js';
import { macFor, netnsName, UNDERLAY, UNDERLAY_BRIDGE, underlayPortName } from '../model/names.js';
import { parseCidr } from '../net/cidr.js';
import { bridgePort, vethPair } from './links.js';
import type { Op, PlannedNamespace } from './types.js';

export const INTERNET_BRIDGE = 'inet0';

/** Hosts behind the router (web servers and the internet DNS server). */
export const onInternet = (h: { kind: string }) => h.kind === 'internet' || h.kind === 'dns';

export function outsideNamespaces(model: ClusterModel): PlannedNamespace[] {
  return model.externals.map((h) => ({
    name: h.name,
    netns: netnsName(model.lab, h.name),
    kind: 'outside',
    interfaces:
      h.kind === 'router' ? ['lo', 'eth0', INTERNET_BRIDGE, ...model.externals.filter(onInternet).map((x) => underlayPortName(x.name))] : ['lo', 'eth0'],
  }));
}

/** Ports on the underlay switch for clients and the router (created from the switch side). */
export function planOutsidePorts(model: ClusterModel): Op[] {
  const sw = netnsName(model.lab, UNDERLAY);
  const mtu = String(model.underlay.mtu);
  return model.externals
    .filter((h) => !onInternet(h))
    .flatMap((h): Op[] => {
      const port = underlayPortName(h.name);
      return [
        vethPair({ netns: sw, name: port, mtu, peerNetns: netnsName(model.lab, h.name), peerMac: macFor(`${model.lab}/${h.name}/eth0`) }),
        bridgePort(sw, port, UNDERLAY_BRIDGE),
      ];
    });
}

/** The router's internet side: a bridge with the first address of the internet range and a
 * veth per internet host (created from the router, peer directly in the host's namespace). */
export function planRouterInternet(model: ClusterModel): Op[] {
  if (!model.internet) return [];
  const ns = netnsName(model.lab, 'router');
  const prefix = parseCidr(model.internet.cidr).prefix;
  const ops: Op[] = [
    { kind: 'sysctl', netns: ns, key: 'net.ipv4.ip_forward', value: '1' },
    { kind: 'ip', netns: ns, args: ['link', 'add', INTERNET_BRIDGE, 'address', macFor(`${model.lab}/router/${INTERNET_BRIDGE}`), 'type', 'bridge'] },
    { kind: 'ip', netns: ns, args: ['addr', 'add', `${model.internet.routerInternetIp}/${prefix}`, 'dev', INTERNET_BRIDGE] },
    { kind: 'ip', netns: ns, args: ['link', 'set', INTERNET_BRIDGE, 'up'] },
  ];
  for (const h of model.externals.filter(onInternet)) {
    const port = underlayPortName(h.name);
    ops.push(
      vethPair({ netns: ns, name: port, peerNetns: netnsName(model.lab, h.name), peerMac: macFor(`${model.lab}/${h.name}/eth0`) }),
      bridgePort(ns, port, INTERNET_BRIDGE),
    );
  }
  return ops;
}

/** Addresses and routes inside each outside machine (after their eth0 exists). */
export function planOutsideHosts(model: ClusterModel): Op[] {
  const ops: Op[] = [];
  for (const h of model.externals) {
    const ns = netnsName(model.lab, h.name);
    const prefix = onInternet(h) ? parseCidr(model.internet!.cidr).prefix : model.underlay.prefix;
    ops.push(
      { kind: 'ip', netns: ns, args: ['link', 'set', 'lo', 'up'] },
      { kind: 'ip', netns: ns, args: ['addr', 'add', `${h.ip}/${prefix}`, 'dev', 'eth0'] },
      { kind: 'ip', netns: ns, args: ['link', 'set', 'eth0', 'up'] },
    );
    if (onInternet(h)) ops.push({ kind: 'ip', netns: ns, args: ['route', 'add', 'default', 'via', model.internet!.routerInternetIp, 'dev', 'eth0'] });
  }
  return ops;
}

/** Nodes send what is not for the cluster or the underlay to the internet router. */
export function planNodeDefaultRoutes(model: ClusterModel): Op[] {
  if (!model.internet) return [];
  return model.nodes.map((n): Op => ({
    kind: 'ip',
    netns: netnsName(model.lab, n.name),
    args: ['route', 'add', 'default', 'via', model.internet!.gateway, 'dev', 'eth0'],
  }));
}
