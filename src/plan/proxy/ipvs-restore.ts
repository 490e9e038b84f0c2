// IPVS mode's end state as restore inputs: `ipset restore -exist`, `ipvsadm-restore` and
// iptables-restore (kubernetes/kubernetes pkg/proxy/ipvs/proxier.go, ipset/ipset.go).
import type { Protocol } from '../../model/types.js';
import { IPVS_IPTABLES_CHAINS, IPVS_JUMP_CHAINS, quote, type Table } from './ipvs-chains.js';
import { DEFAULT_HASH_SIZE, DEFAULT_MAX_ELEM, DEFAULT_PORT_RANGE } from './ipvs-ipsets.js';
import type { IpvsRuleset, VirtualServer } from './ipvs-types.js';

// ---- restore texts ----------------------------------------------------------------------------

/**
 * `ipset restore -exist` input: every set of ipsetInfo is created (ensureIPSet, with createSet's
 * arguments: family/hashsize/maxelem for hash types, range for bitmap:port; the comment is not an
 * ipset option), emptied and filled with exactly its active entries (syncIPSetEntries' end state).
 */
export function ipsetRestoreText(ruleset: IpvsRuleset): string {
  const lines: string[] = [];
  for (const { info, entries } of ruleset.ipsets) {
    const opts =
      info.type === 'bitmap:port'
        ? ['range', DEFAULT_PORT_RANGE]
        : ['family', 'inet', 'hashsize', String(DEFAULT_HASH_SIZE), 'maxelem', String(DEFAULT_MAX_ELEM)];
    lines.push(['create', info.name, info.type, ...opts].join(' '), `flush ${info.name}`);
    for (const e of entries) lines.push(`add ${info.name} ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

const IPVSADM_PROTOCOL: Record<Protocol, string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

/** `ipvsadm -S -n` style lines for one virtual server and its destinations. */
export function virtualServerLines(vs: VirtualServer): string[] {
  const svc = `${IPVSADM_PROTOCOL[vs.protocol]} ${vs.address}:${vs.port}`;
  // toIPVSService: netmask 255.255.255.255 (ipvsadm prints -M only for other masks).
  const persistent = vs.persistentTimeout !== undefined ? ` -p ${vs.persistentTimeout}` : '';
  // FlagSourceHash = IP_VS_SVC_F_SCHED2, which ipvsadm names "mh-port" for the mh scheduler.
  const flags = vs.sourceHash ? ' -b mh-port' : '';
  return [
    `-A ${svc} -s ${vs.scheduler}${persistent}${flags}`,
    // toIPVSDestination leaves ConnectionFlags 0 = IP_VS_CONN_F_MASQ (-m); weight 1.
    ...vs.realServers.map((rs) => `-a ${svc} -r ${rs.address}:${rs.port} -m -w ${rs.weight}`),
  ];
}

/**
 * `ipvsadm-restore` input. `-C` first: upstream's cleanLegacyService deletes every virtual server
 * it did not sync this round (the lab excludes no CIDRs), so the end state is exactly these.
 */
export function ipvsadmRestoreText(ruleset: IpvsRuleset): string {
  return `${['-C', ...ruleset.virtualServers.flatMap(virtualServerLines)].join('\n')}\n`;
}

/** An EnsureRule(Prepend) jump as an iptables-restore line (comment quoted). */
function jumpLine(j: (typeof IPVS_JUMP_CHAINS)[number]): string {
  return `-I ${j.from} -m comment --comment ${quote(j.comment)} -j ${j.to}`;
}

/**
 * iptables-restore --noflush input in upstream's layout (natChains, natRules, filterChains,
 * filterRules). createAndLinkKubeChain installs iptablesJumpChain with EnsureRule(Prepend)
 * outside the restore; here they are `-I` lines before each COMMIT, in the same order (each
 * `-I` prepends, as each EnsureRule(Prepend) does), so the sync stays one process.
 */
export function ipvsIptablesRestoreText(ruleset: IpvsRuleset, opts: { jumps?: boolean } = {}): string {
  const jumps = opts.jumps ?? true;
  const table = (name: Table, rules: string[]): string[] => [
    `*${name}`,
    ...IPVS_IPTABLES_CHAINS.filter((c) => c.table === name).map((c) => `:${c.chain} - [0:0]`),
    ...rules,
    ...(jumps ? IPVS_JUMP_CHAINS.filter((j) => j.table === name).map(jumpLine) : []),
    'COMMIT',
  ];
  return `${[...table('nat', ruleset.natRules), ...table('filter', ruleset.filterRules)].join('\n')}\n`;
}
