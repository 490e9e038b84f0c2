// The iptables rules of kube-proxy IPVS mode: kubernetes/kubernetes pkg/proxy/ipvs/proxier.go
// writeIptablesRules (with acceptIPVSTraffic), matching the ipsets a sync filled in, line by line.
import { masqueradeMarkFromBit } from './go-format.js';
import {
  KUBE_FORWARD,
  KUBE_IPVS_FILTER,
  KUBE_IPVS_OUT_FILTER,
  KUBE_LOAD_BALANCER,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_POSTROUTING,
  KUBE_SERVICES,
  KUBE_SOURCE_RANGES_FIREWALL,
  quote,
  type Table,
} from './ipvs-chains.js';
import {
  IPSET_WITH_IPTABLES_CHAIN,
  IPVS_IPSETS,
  KUBE_CLUSTER_IP,
  KUBE_EXTERNAL_IP,
  KUBE_EXTERNAL_IP_LOCAL,
  KUBE_HEALTH_CHECK_NODE_PORT,
  KUBE_IPVS_IPS,
  KUBE_LOAD_BALANCER_SET,
} from './ipvs-ipsets.js';
import type { EntrySets, IpvsProxyInput } from './ipvs-types.js';

/** writeIptablesRules (with acceptIPVSTraffic), line by line. */
export function writeIptablesRules(
  input: IpvsProxyInput,
  sets: EntrySets,
  lbNoNodeAccess: { ip: string; proto: string; port: number }[],
): { natRules: string[]; filterRules: string[] } {
  const nat: string[] = [];
  const filter: string[] = [];
  const write = (table: Table, ...words: (string | readonly string[])[]): void => {
    (table === 'nat' ? nat : filter).push(words.flat().join(' '));
  };
  const comment = (name: string): string => quote(IPVS_IPSETS.find((s) => s.name === name)!.comment);
  const mark = masqueradeMarkFromBit(input.masqueradeBit ?? 14);

  // Dismiss connects to localhost early in the service chain.
  write('nat', '-A', KUBE_SERVICES, '-s', '127.0.0.0/8', '-j', 'RETURN');

  for (const set of IPSET_WITH_IPTABLES_CHAIN) {
    if (sets.isEmpty(set.name)) continue;
    write(
      set.table,
      '-A',
      set.from,
      set.protocolMatch !== '' ? ['-p', set.protocolMatch] : [],
      '-m',
      'comment',
      '--comment',
      comment(set.name),
      '-m',
      'set',
      '--match-set',
      set.name,
      set.matchType,
      '-j',
      set.to,
    );
  }

  if (!sets.isEmpty(KUBE_CLUSTER_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_CLUSTER_IP), '-m', 'set', '--match-set', KUBE_CLUSTER_IP];
    if (input.masqueradeAll) {
      write('nat', args, 'dst,dst', '-j', KUBE_MARK_MASQ);
    } else if (input.clusterCIDR !== '') {
      // localDetector (ClusterCIDR) IfNotLocal(): masquerade off-cluster traffic to a VIP.
      write('nat', args, 'dst,dst', '!', '-s', input.clusterCIDR, '-j', KUBE_MARK_MASQ);
    } else {
      // NoOp detector: masquerade node-originated traffic whose source is a VIP.
      write('nat', args, 'src,dst', '-j', KUBE_MARK_MASQ);
    }
  }

  // externalIPRules: accept off-machine traffic (not from a bridge, not local), and traffic to
  // external IPs that happen to be local addresses.
  const externalIPRules = (args: string[]): void => {
    write('nat', args, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', 'ACCEPT');
    write('nat', args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT');
  };
  if (!sets.isEmpty(KUBE_EXTERNAL_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_EXTERNAL_IP), '-m', 'set', '--match-set', KUBE_EXTERNAL_IP, 'dst,dst'];
    write('nat', args, '-j', KUBE_MARK_MASQ);
    externalIPRules(args);
  }
  if (!sets.isEmpty(KUBE_EXTERNAL_IP_LOCAL)) {
    externalIPRules([
      '-A',
      KUBE_SERVICES,
      '-m',
      'comment',
      '--comment',
      comment(KUBE_EXTERNAL_IP_LOCAL),
      '-m',
      'set',
      '--match-set',
      KUBE_EXTERNAL_IP_LOCAL,
      'dst,dst',
    ]);
  }

  write('nat', '-A', KUBE_SERVICES, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', KUBE_NODE_PORT);
  // Mark for masquerading for KUBE-LOAD-BALANCER.
  write('nat', '-A', KUBE_LOAD_BALANCER, '-j', KUBE_MARK_MASQ);
  // Drop packets filtered by KUBE-SOURCE-RANGES-FIREWALL.
  write('filter', '-A', KUBE_SOURCE_RANGES_FIREWALL, '-j', 'DROP');
  // Disable LB access from the node when no source range covers the node IP (issue 119656).
  for (const e of lbNoNodeAccess) {
    write('filter', '-A', KUBE_IPVS_OUT_FILTER, '-s', e.ip, '-m', 'ipvs', '--vaddr', e.ip, '--vproto', e.proto, '--vport', String(e.port), '-j', 'DROP');
  }
  // acceptIPVSTraffic: must be at the end of KUBE-SERVICES.
  for (const set of [KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER_SET]) {
    if (!sets.isEmpty(set)) write('nat', '-A', KUBE_SERVICES, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'ACCEPT');
  }
  write(
    'filter',
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes forwarding rules'),
    '-m',
    'mark',
    '--mark',
    `${mark}/${mark}`,
    '-j',
    'ACCEPT',
  );
  write(
    'filter',
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes forwarding conntrack rule'),
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  );
  write(
    'filter',
    '-A',
    KUBE_NODE_PORT,
    '-m',
    'comment',
    '--comment',
    comment(KUBE_HEALTH_CHECK_NODE_PORT),
    '-m',
    'set',
    '--match-set',
    KUBE_HEALTH_CHECK_NODE_PORT,
    'dst',
    '-j',
    'ACCEPT',
  );
  // KUBE-IPVS-FILTER: no access to host ports through VIP addresses (issue 72236).
  for (const set of [KUBE_LOAD_BALANCER_SET, KUBE_CLUSTER_IP, KUBE_EXTERNAL_IP, KUBE_EXTERNAL_IP_LOCAL]) {
    write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'RETURN');
  }
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'RETURN');
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', KUBE_IPVS_IPS, 'dst', '-j', 'REJECT');

  write('nat', '-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
  write('nat', '-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', mark);
  write(
    'nat',
    '-A',
    KUBE_POSTROUTING,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    (input.randomFully ?? true) ? ['--random-fully'] : [],
  );
  write('nat', '-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', mark);
  return { natRules: nat, filterRules: filter };
}
