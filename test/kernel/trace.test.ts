// nftables traces on real kernel state: a node namespace with kube-proxy-style iptables-nft
// rules for a ClusterIP, a trace of a connection to it, and the iptables chain path the SYN took
// — first through KUBE-SERVICES -> KUBE-SVC-TEST -> KUBE-SEP-TEST (DNAT), then with the DNAT
// rule gone, then with the endpoint gone. Only namespaces named wl-tracetest.* are touched, so
// other kernel tests may run at the same time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { startTrace } from '../../src/kernel/trace.js';
import { parseNftTrace, type TracePacket } from '../../src/capture/nft-trace.js';
import { chainPath, matchChainPath } from '../../src/assert/chains.js';
import { TRACE_TABLE } from '../../src/kernel/trace-table.js';

const A = 'wl-tracetest.a';
const B = 'wl-tracetest.b';
const OURS = [A, B];

function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function exists(netns: string): boolean {
  try {
    statSync(`/run/netns/${netns}`);
    return true;
  } catch {
    return false;
  }
}

function removeNamespaces(): void {
  for (const ns of OURS) if (exists(ns)) sh(['ip', 'netns', 'del', ns]);
}

let ourInodes: string[] = [];

/** nft processes of this test: marked with its lab, or inside one of its namespaces. */
function traceMonitors(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 'nft') continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      const marked = readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes('WIRELAB_LAB=tracetest');
      const inside = ourInodes.includes(readlinkSync(`/proc/${e}/ns/net`));
      if (marked || inside) out.push(`${e}: ${readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0').join(' ').trim()}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

// kube-proxy's shape for one ClusterIP (10.96.0.50:80) with one endpoint (10.99.0.2:8080),
// including KUBE-POSTROUTING's masquerade as on every real node.
const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-TEST - [0:0]
:KUBE-SEP-TEST - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -m comment --comment "default/test cluster IP" -j KUBE-SVC-TEST
-A KUBE-SVC-TEST -m comment --comment "default/test -> 10.99.0.2:8080" -j KUBE-SEP-TEST
-A KUBE-SEP-TEST -p tcp -m comment --comment "default/test" -m tcp -j DNAT --to-destination 10.99.0.2:8080
COMMIT
`;

/** Traces one connection attempt from A to the ClusterIP; returns its first packet (the SYN:
 * NAT chains only ever see the first packet of a connection). */
async function traceSyn(): Promise<{ syn: TracePacket; packets: TracePacket[] }> {
  const trace = await startTrace(A, { dst: '10.96.0.50', protocol: 'tcp', dport: 80 });
  try {
    sh(['ip', 'netns', 'exec', A, 'curl', '-s', '--max-time', '1', 'http://10.96.0.50/']);
  } catch {
    /* nothing listens: refused (DNAT-ed to B) or timed out (not DNAT-ed) */
  }
  const packets = parseNftTrace(await trace.stop());
  expect(sh(['ip', 'netns', 'exec', A, 'nft', 'list', 'tables'])).not.toContain(TRACE_TABLE);
  expect(traceMonitors(), 'stop() must end nft monitor').toEqual([]);
  const syn = packets.find((p) => p.packet?.dport === 80 && p.packet.daddr === '10.96.0.50');
  expect(syn, `no traced SYN in ${JSON.stringify(packets, null, 1)}`).toBeDefined();
  return { syn: syn!, packets };
}

describe('nft trace: iptables chain paths', () => {
  beforeAll(() => {
    removeNamespaces();
    sh(['ip', 'netns', 'add', A]);
    sh(['ip', 'netns', 'add', B]);
    ourInodes = OURS.map((ns) => `net:[${statSync(`/run/netns/${ns}`).ino}]`);
    // The veth is created inside A with its peer in B: the host namespace never sees it.
    sh(['ip', '-n', A, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', B]);
    sh(['ip', '-n', A, 'addr', 'add', '10.99.0.1/24', 'dev', 'veth-a']);
    sh(['ip', '-n', B, 'addr', 'add', '10.99.0.2/24', 'dev', 'veth-b']);
    for (const [ns, dev] of [
      [A, 'veth-a'],
      [B, 'veth-b'],
      [A, 'lo'],
      [B, 'lo'],
    ])
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    sh(['ip', '-n', A, 'route', 'add', '10.96.0.0/12', 'via', '10.99.0.2']);
    sh(['ip', 'netns', 'exec', A, 'iptables-restore'], RULES);
  });

  afterAll(() => {
    removeNamespaces();
    expect(OURS.filter(exists)).toEqual([]);
    expect(traceMonitors()).toEqual([]);
  });

  it('follows the SYN through KUBE-SERVICES -> KUBE-SVC-TEST -> KUBE-SEP-TEST and sees the DNAT', async () => {
    const { syn } = await traceSyn();
    const path = chainPath(syn, 'nat');
    expect(path).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'POSTROUTING', 'KUBE-POSTROUTING', 'POSTROUTING']);
    expect(matchChainPath(path, ['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST'])).toMatchObject({ ok: true });
    expect(matchChainPath(path, ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*'])).toMatchObject({ ok: true });
    expect(syn.packet).toMatchObject({ oif: 'veth-a', saddr: '10.99.0.1', daddr: '10.96.0.50', protocol: 'tcp', dport: 80 });
    const post = syn.events.find((e) => e.table === 'nat' && e.chain === 'POSTROUTING' && e.kind === 'packet');
    expect(post?.packet).toMatchObject({ daddr: '10.99.0.2', dport: 8080 });
    expect(syn.events.find((e) => e.chain === 'KUBE-SEP-TEST')).toMatchObject({ kind: 'rule', verdict: 'accept' });
    expect(syn.events.find((e) => e.chain === 'KUBE-SEP-TEST')?.rule).toContain('dnat to 10.99.0.2:8080');
  });

  it('without the DNAT rule, the SYN still enters the (empty) KUBE-SEP-TEST but leaves un-NATed', async () => {
    sh([
      'ip',
      'netns',
      'exec',
      A,
      'iptables',
      '-t',
      'nat',
      '-D',
      'KUBE-SEP-TEST',
      '-p',
      'tcp',
      '-m',
      'comment',
      '--comment',
      'default/test',
      '-m',
      'tcp',
      '-j',
      'DNAT',
      '--to-destination',
      '10.99.0.2:8080',
    ]);
    const { syn } = await traceSyn();
    const path = chainPath(syn, 'nat');
    // No event comes from the empty chain itself; KUBE-SVC-TEST's jump shows it was entered.
    expect(path).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'OUTPUT', 'POSTROUTING', 'KUBE-POSTROUTING', 'POSTROUTING']);
    const post = syn.events.find((e) => e.table === 'nat' && e.chain === 'POSTROUTING' && e.kind === 'packet');
    expect(post?.packet).toMatchObject({ daddr: '10.96.0.50', dport: 80 });
  });

  it('without the endpoint, the path stops at KUBE-SVC-TEST and the assertion names KUBE-SEP-*', async () => {
    sh([
      'ip',
      'netns',
      'exec',
      A,
      'iptables',
      '-t',
      'nat',
      '-D',
      'KUBE-SVC-TEST',
      '-m',
      'comment',
      '--comment',
      'default/test -> 10.99.0.2:8080',
      '-j',
      'KUBE-SEP-TEST',
    ]);
    const { syn } = await traceSyn();
    const path = chainPath(syn, 'nat');
    expect(path).not.toContain('KUBE-SEP-TEST');
    expect(path.slice(0, 3)).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST']);
    const r = matchChainPath(path, ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*']);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('expected chain KUBE-SEP-* (3 of 3) after KUBE-SVC-TEST was not traversed');
    expect(r.detail).toContain('actual path: OUTPUT -> KUBE-SERVICES -> KUBE-SVC-TEST -> OUTPUT -> POSTROUTING');
  });

  it('refuses namespaces the harness does not own, and ones that do not exist', async () => {
    await expect(startTrace('default', {})).rejects.toThrow(/not a namespace of the harness/);
    await expect(startTrace('wl-tracetest.nope', {})).rejects.toThrow(/does not exist/);
    await expect(startTrace(A, { dst: '10.96.0.50; flush ruleset' })).rejects.toThrow(/not an IPv4 address/);
    expect(traceMonitors()).toEqual([]);
  });
});
