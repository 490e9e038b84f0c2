// Helpers for the IPVS-mode tests, after upstream's pkg/proxy/ipvs/proxier_test.go. Its
// NewFakeProxier: node "test-node", NoOp local detector (clusterCIDR ""), node IPs given per test
// (buildFakeProxier: none), scheduler rr. Its checkIptables compares, per chain, the jump target
// and the --match-set of every rule, nat rules before filter rules (getRules saves nat, then
// filter); chainRules() does the same.
import { expect } from 'vitest';
import type { EndpointSlice } from '../../../model/types.js';
import type { IptablesService } from '../service-ports.js';
import { renderIpvsRuleset } from '../ipvs.js';
import type { IpvsProxyInput, IpvsRuleset } from '../ipvs-types.js';
import { ipvsadmRestoreText, ipvsIptablesRestoreText } from '../ipvs-restore.js';

export const TEST_NODE = 'test-node';

/** NewFakeProxier + makeServiceMap + populateEndpointSlices + syncProxyRules. */
export function sync(services: IptablesService[], slices: EndpointSlice[], extra: Partial<IpvsProxyInput> = {}): IpvsRuleset {
  return renderIpvsRuleset({
    hostname: TEST_NODE,
    nodeIP: '',
    nodeAddresses: [],
    clusterCIDR: '',
    services,
    endpointSlices: slices,
    ...extra,
  });
}

export const entries = (rs: IpvsRuleset, set: string): string[] => rs.ipsets.find((s) => s.info.name === set)!.entries;

/** `ipset list` members of one set from our restore text (what checkIPSet compares). */
export function ipsetMembers(text: string, set: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`add ${set} `))
    .map((l) => l.slice(`add ${set} `.length));
}

export interface Rule {
  jump: string;
  matchSet: string;
  source: string;
  raw: string;
}

/** getRules(ipt, chain): the "-A chain" rules of nat, then filter, as jump/match-set/source. */
export function chainRules(restore: string, chain: string): Rule[] {
  const out: Rule[] = [];
  for (const table of ['nat', 'filter']) {
    const body = restore.split(`*${table}\n`)[1].split('COMMIT')[0];
    for (const raw of body.split('\n')) {
      if (!raw.startsWith(`-A ${chain} `)) continue;
      out.push({
        jump: /-j (\S+)/.exec(raw)?.[1] ?? '',
        matchSet: /--match-set (\S+)/.exec(raw)?.[1] ?? '',
        source: /(?:^| )-s (\S+)/.exec(raw)?.[1] ?? '',
        raw,
      });
    }
  }
  return out;
}

/** checkIptables: expected {JumpChain, MatchSet} per chain, same number and order. */
export function checkIptables(rs: IpvsRuleset, expected: Record<string, { jump: string; matchSet?: string; source?: string }[]>): void {
  const text = ipvsIptablesRestoreText(rs);
  for (const [chain, rules] of Object.entries(expected)) {
    const got = chainRules(text, chain).map((r) => ({ jump: r.jump, matchSet: r.matchSet, ...(r.source ? { source: r.source } : {}) }));
    expect(got, chain).toEqual(rules.map((r) => ({ jump: r.jump, matchSet: r.matchSet ?? '', ...(r.source ? { source: r.source } : {}) })));
  }
}

/** ipvsadm lines of one virtual server ("-A ..." and its "-a ..."). */
export function vsLines(rs: IpvsRuleset, svc: string): string[] {
  return ipvsadmRestoreText(rs)
    .split('\n')
    .filter((l) => l.startsWith(`-A ${svc} `) || l.startsWith(`-a ${svc} `));
}

export const vsKeys = (rs: IpvsRuleset): string[] => rs.virtualServers.map((v) => `${v.protocol}/${v.address}:${v.port}`);
