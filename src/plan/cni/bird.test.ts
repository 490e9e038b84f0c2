// The BIRD 2 configuration of a Calico-style mesh node, checked statement by statement against
// what Calico's confd renders (node/filesystem/etc/calico/confd/templates/bird.cfg.template,
// bird_aggr.cfg.template, bird_ipam.cfg.template; rendered in
// confd/tests/compiled_templates/mesh/ipip-off/bird{,_aggr,_ipam}.cfg for node 10.192.0.2 with
// peers 10.192.0.3 and 10.192.0.4, AS 64512, pool 192.168.0.0/16), and parsed by the real
// `bird -p` when BIRD 2 is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALICO_DEFAULT_AS, meshPeerIsPassive, meshProtocolName, renderBirdConfig, type BirdConfigInput } from './bird.js';

// Upstream's fixture, as far as this lab models it (its blocks also include a /30, a /24 and a
// /32 to exercise the template; any CIDR goes).
const UPSTREAM: BirdConfigInput = {
  nodeName: 'kube-master',
  nodeIp: '10.192.0.2',
  asNumber: 64512,
  blocks: ['192.168.221.64/26', '192.168.221.192/26'],
  peers: [
    { name: 'kube-node-2', ip: '10.192.0.4' },
    { name: 'kube-master', ip: '10.192.0.2' },
    { name: 'kube-node-1', ip: '10.192.0.3' },
  ],
  ipPools: ['192.168.0.0/16'],
};

// Lab-shaped input: three nodes on 10.10.20.0/24, pool 10.8.0.0/16.
const W1: BirdConfigInput = {
  nodeName: 'w1',
  nodeIp: '10.10.20.4',
  asNumber: CALICO_DEFAULT_AS,
  blocks: ['10.8.0.64/26'],
  peers: [
    { name: 'cp1', ip: '10.10.20.3' },
    { name: 'w1', ip: '10.10.20.4' },
    { name: 'w2', ip: '10.10.20.5' },
  ],
  ipPools: ['10.8.0.0/16'],
};

const trimmed = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** The lines of the block that starts with `head` (brace-balanced), trimmed, comments dropped. */
function blockOf(cfg: string, head: string): string[] {
  const lines = cfg.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(head));
  expect(start, head).toBeGreaterThanOrEqual(0);
  let depth = 0;
  const out: string[] = [];
  for (let i = start; i < lines.length; i++) {
    out.push(lines[i]);
    depth += (lines[i].match(/{/g) ?? []).length - (lines[i].match(/}/g) ?? []).length;
    if (depth === 0 && lines[i].includes('}')) break;
  }
  return trimmed(out.join('\n'));
}

describe('BIRD config: node-wide statements (bird.cfg.template)', () => {
  const cfg = renderBirdConfig(W1);

  it("uses the node IP as router id and Calico's scan time 2 for kernel and device", () => {
    expect(cfg).toMatch(/^router id 10\.10\.20\.4;$/m);
    expect(blockOf(cfg, 'protocol device')).toEqual(['protocol device {', 'scan time 2;', '}']);
    expect(blockOf(cfg, 'protocol kernel')).toContain('scan time 2;');
    expect(blockOf(renderBirdConfig({ ...W1, scanTime: 10 }), 'protocol device')).toContain('scan time 10;');
  });

  it('programs the kernel through calico_kernel_programming, persist / graceful restart / merge paths as Calico, importing nothing', () => {
    expect(blockOf(cfg, 'protocol kernel')).toEqual([
      'protocol kernel {',
      'persist;',
      'scan time 2;',
      'graceful restart;',
      'merge paths on;',
      'metric 0;',
      'ipv4 {',
      'import none;',
      'export filter calico_kernel_programming;',
      '};',
      '}',
    ]);
    expect(cfg).not.toMatch(/^\s*learn;/m);
  });

  it("has the direct protocol with Calico's interface list, so next hops resolve recursively", () => {
    expect(blockOf(cfg, 'protocol direct')).toEqual(['protocol direct {', 'ipv4;', 'interface -"cali*", -"kube-ipvs*", "*";', '}']);
  });

  it("has Calico's BGP template (local AS, graceful restart, timers, recursive gateway, add paths)", () => {
    expect(blockOf(cfg, 'template bgp bgp_template')).toEqual([
      'template bgp bgp_template {',
      'description "Connection to BGP peer";',
      'local as 64512;',
      'graceful restart;',
      'connect delay time 2;',
      'connect retry time 5;',
      'error wait time 5,30;',
      'ipv4 {',
      'gateway recursive;',
      'add paths on;',
      '};',
      '}',
    ]);
  });
});

describe("BIRD config: the node's blocks (bird_aggr.cfg.template)", () => {
  it('announces each block as a blackhole static route, in sorted order', () => {
    const cfg = renderBirdConfig(UPSTREAM);
    // bird_aggr.cfg: "route 192.168.221.192/26 blackhole;" then "route 192.168.221.64/26 blackhole;"
    expect(blockOf(cfg, 'protocol static')).toEqual([
      'protocol static {',
      'ipv4;',
      'route 192.168.221.192/26 blackhole;',
      'route 192.168.221.64/26 blackhole;',
      '}',
    ]);
  });

  it('exports each block and nothing beneath it unless its priority is raised (calico_aggr)', () => {
    const cfg = renderBirdConfig(UPSTREAM);
    expect(blockOf(cfg, 'function calico_aggr')).toEqual([
      'function calico_aggr ()',
      '{',
      'if ( net = 192.168.221.192/26 ) then { accept; }',
      'if ( net ~ 192.168.221.192/26 && krt_metric < 1024 ) then { accept; }',
      'if ( net ~ 192.168.221.192/26 ) then { reject; }',
      'if ( net = 192.168.221.64/26 ) then { accept; }',
      'if ( net ~ 192.168.221.64/26 && krt_metric < 1024 ) then { accept; }',
      'if ( net ~ 192.168.221.64/26 ) then { reject; }',
      '}',
    ]);
  });

  it('has no static protocol on a node without blocks', () => {
    const cfg = renderBirdConfig({ ...W1, blocks: [] });
    expect(cfg).not.toContain('protocol static');
    expect(cfg).toContain('# No IP blocks or static routes for this host.');
    expect(blockOf(cfg, 'function calico_aggr')).toEqual(['function calico_aggr ()', '{', '}']);
  });
});

describe('BIRD config: the filters (bird_ipam.cfg.template)', () => {
  const cfg = renderBirdConfig(UPSTREAM);

  it('exports to peers through calico_export_to_bgp_peers as upstream, accepting the pool last', () => {
    expect(blockOf(cfg, 'function calico_export_to_bgp_peers')).toEqual([
      'function calico_export_to_bgp_peers(bool internal_peer) {',
      'if (internal_peer) then {',
      'if (defined(ifname)) then {',
      'if ((ifname ~ "*.cali") || (ifname ~ "*.calico") || (ifname ~ "tunl0")) then {',
      'reject;',
      '}',
      '}',
      '}',
      'reject_local_routes();',
      'apply_communities();',
      'calico_aggr();',
      'if (net ~ 192.168.0.0/16) then { accept; }',
      '}',
    ]);
  });

  it('programs BGP routes with krt_metric = 2147483647 - local pref (1024 by default), and drops interface routes', () => {
    expect(blockOf(cfg, 'filter calico_kernel_programming')).toEqual([
      'filter calico_kernel_programming {',
      // The one line upstream does not need (BIRD 1 never exports device routes).
      'if (source = RTS_DEVICE) then { reject; }',
      'if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {',
      'krt_metric = 1024;',
      'if (defined(bgp_local_pref)) then {',
      'krt_metric = 2147483647 - bgp_local_pref;',
      '}',
      'if (krt_metric < 1024) then {',
      'preference = 200;',
      '}',
      '}',
      'if (net ~ 192.168.0.0/16) then { accept; }',
      'accept;',
      '}',
    ]);
  });
});

describe('BIRD config: one Mesh_ protocol per other node (processMeshPeers)', () => {
  it('names peers Mesh_<ip with underscores>, sorted by name, skipping the node itself', () => {
    const cfg = renderBirdConfig(UPSTREAM);
    const protos = [...cfg.matchAll(/^protocol bgp (\S+) from bgp_template \{$/gm)].map((m) => m[1]);
    expect(protos).toEqual(['Mesh_10_192_0_3', 'Mesh_10_192_0_4']);
    expect(meshProtocolName('10.10.20.5')).toBe('Mesh_10_10_20_5');
  });

  it("matches upstream's Mesh_10_192_0_3 statement for statement (channel options inside ipv4 { })", () => {
    const cfg = renderBirdConfig(UPSTREAM);
    // confd/tests/compiled_templates/mesh/ipip-off/bird.cfg, protocol bgp Mesh_10_192_0_3.
    const upstream = [
      'neighbor 10.192.0.3 as 64512;',
      'source address 10.192.0.2;',
      'ttl security off;',
      'multihop;',
      'import filter {',
      'if (defined(bgp_local_pref)&&(bgp_local_pref > 2147482623)) then',
      'preference = 200;',
      'accept;',
      '};',
      'export filter {',
      'if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {',
      'krt_metric = 2147483647 - bgp_local_pref;',
      '} else {',
      'if (!defined(krt_metric)) then { krt_metric = 1024; }',
      'bgp_local_pref = 2147483647 - krt_metric;',
      '}',
      'calico_export_to_bgp_peers(true);',
      'reject;',
      '};',
      'passive on;',
    ];
    const ours = blockOf(cfg, 'protocol bgp Mesh_10_192_0_3');
    expect(ours[0]).toBe('protocol bgp Mesh_10_192_0_3 from bgp_template {');
    // BIRD 2 wants the filters inside the ipv4 channel: drop "ipv4 {" and its closing "};".
    const body = ours.slice(1, -1);
    body.splice(body.indexOf('ipv4 {'), 1);
    body.splice(body.lastIndexOf('};'), 1);
    expect(body).toEqual(upstream);
  });

  it('is passive towards peers whose address is greater as a string, as upstream', () => {
    const cfg = renderBirdConfig(W1);
    expect(blockOf(cfg, 'protocol bgp Mesh_10_10_20_3')).not.toContain('passive on;');
    expect(blockOf(cfg, 'protocol bgp Mesh_10_10_20_5')).toContain('passive on;');
    // Go compares strings byte by byte: "10.0.0.10" < "10.0.0.9".
    expect(meshPeerIsPassive('10.0.0.9', '10.0.0.10')).toBe(false);
    expect(meshPeerIsPassive('10.0.0.10', '10.0.0.9')).toBe(true);
    // Exactly one side of every pair waits.
    for (const [a, b] of [
      ['10.10.20.3', '10.10.20.4'],
      ['10.0.0.9', '10.0.0.10'],
    ]) {
      expect(meshPeerIsPassive(a, b)).not.toBe(meshPeerIsPassive(b, a));
    }
  });

  it('says so when the node has no peers', () => {
    const cfg = renderBirdConfig({ ...W1, peers: [{ name: 'w1', ip: '10.10.20.4' }] });
    expect(cfg).toContain('# No BGP peers configured for this node');
    expect(cfg).not.toContain('protocol bgp Mesh_');
  });
});

const bird = spawnSync('sh', ['-c', 'command -v bird'], { encoding: 'utf8' }).stdout.trim();

describe.skipIf(!bird)('BIRD config: parsed by bird -p (BIRD 2)', () => {
  it('is valid BIRD 2 syntax', () => {
    const v = spawnSync(bird, ['--version'], { encoding: 'utf8' });
    expect(`${v.stdout}${v.stderr}`).toMatch(/BIRD version 2\./);
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-bird-'));
    try {
      const cases: [string, BirdConfigInput][] = [
        ['w1.conf', { ...W1, logFile: join(dir, 'bird.log') }],
        ['upstream.conf', UPSTREAM],
        ['lonely.conf', { ...W1, blocks: [], peers: [], ipPools: [] }],
      ];
      for (const [name, input] of cases) {
        const file = join(dir, name);
        writeFileSync(file, renderBirdConfig(input));
        const r = spawnSync(bird, ['-p', '-c', file], { encoding: 'utf8' });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      }
      // And -p does reject a broken file, so the checks above mean something.
      writeFileSync(join(dir, 'bad.conf'), renderBirdConfig(W1).replace('metric 0;', 'metrik 0;'));
      expect(spawnSync(bird, ['-p', '-c', join(dir, 'bad.conf')]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
