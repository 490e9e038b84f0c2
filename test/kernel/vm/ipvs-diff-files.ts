// What the IPVS differential's guest half (ipvs-diff-guest.ts) writes and the host half
// (kube-proxy-ipvs-diff.test.ts) reads: one directory per side, these files in each; and the
// normal form the host compares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  lineDiff,
  normaliseIpDevice,
  normaliseIpsetSave,
  normaliseIptablesSave,
  normaliseIpvsadmSave,
} from '../../../src/plan/proxy/testing/rules-normalise.js';

export const IPVS_DIFF = {
  lab: 'kpdiff',
  node: 'node02',
  /** Under TCG the real kube-proxy takes a while to start and sync. */
  syncTimeoutMs: 240_000,
  files: {
    ipvsadm: 'ipvsadm-save.txt',
    ipset: 'ipset-save.txt',
    iptables: 'iptables-save.txt',
    link: 'kube-ipvs0-link.txt',
    addr: 'kube-ipvs0-addr.txt',
    sysctl: 'sysctl.json',
  },
} as const;

/** node02 before the real kube-proxy started, with it, wirelab's rendering, a wrong rendering,
 * and a fresh namespace (the sysctls wirelab's side started from). */
export type Side = 'before' | 'real' | 'wirelab' | 'wrong' | 'fresh';

export function readDump(dir: string, side: Side, file: keyof typeof IPVS_DIFF.files): string {
  return readFileSync(join(dir, side, IPVS_DIFF.files[file]), 'utf8');
}

const sysctlsOf = (dir: string, side: Side) => JSON.parse(readDump(dir, side, 'sysctl')) as Record<string, string>;

/** Sysctls no kube-proxy sets, which change anyway: a device's own settings (net.ipv4.conf.<dev>
 * and the like appear with the device, from its namespace's defaults: kube-ipvs0's on both sides,
 * the scratch namespace's route device on wirelab's) and conntrack's entry counter. */
const notKubeProxys = (key: string) => /^net\.ipv[46]\.(conf|neigh)\.(?!all\.|default\.)/.test(key) || key === 'net.netfilter.nf_conntrack_count';

/** The sysctls either side changed: the real kube-proxy from node02's values before it started,
 * wirelab's from a fresh namespace's. */
export function changedSysctls(dir: string): string[] {
  const changed = (from: Record<string, string>, to: Record<string, string>) => Object.keys(to).filter((k) => from[k] !== to[k] && !notKubeProxys(k));
  return [...new Set([...changed(sysctlsOf(dir, 'before'), sysctlsOf(dir, 'real')), ...changed(sysctlsOf(dir, 'fresh'), sysctlsOf(dir, 'wirelab'))])].sort();
}

/** Every area of one side's state in normal form, each line prefixed with its area. The KUBE-*
 * iptables lines node02 had before the real kube-proxy started (other agents') are not
 * kube-proxy's and are left out of every side; sysctls are compared over the keys either side
 * changed. */
export function normalForm(dir: string, side: Side): string[] {
  const before = normaliseIptablesSave(readDump(dir, 'before', 'iptables'));
  const iptables = lineDiff(normaliseIptablesSave(readDump(dir, side, 'iptables')), before).onlyA;
  const sysctl = sysctlsOf(dir, side);
  return [
    ...normaliseIpvsadmSave(readDump(dir, side, 'ipvsadm')).map((l) => `ipvsadm: ${l}`),
    ...normaliseIpsetSave(readDump(dir, side, 'ipset')).map((l) => `ipset: ${l}`),
    ...iptables.map((l) => `iptables: ${l}`),
    ...normaliseIpDevice(readDump(dir, side, 'link'), readDump(dir, side, 'addr')).map((l) => `kube-ipvs0: ${l}`),
    ...changedSysctls(dir).map((k) => `sysctl: ${k} = ${sysctl[k] ?? '(absent)'}`),
  ];
}
