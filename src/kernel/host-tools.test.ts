import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hostTools, parseToolTable, TOOLS_TABLE } from './host-tools.js';

describe('scripts/tools.txt', () => {
  it('parses commands, packages, version arguments and purposes', () => {
    expect(parseToolTable('# c p v what\nip  iproute2  -V  namespaces, links\n/etc/x  pkg  -  a file\n')).toEqual([
      { command: 'ip', pkg: 'iproute2', versionArg: '-V', what: 'namespaces, links' },
      { command: '/etc/x', pkg: 'pkg', versionArg: undefined, what: 'a file' },
    ]);
  });

  it('lists every tool the harness runs, each with a package and a purpose', () => {
    const tools = hostTools();
    for (const t of tools) {
      expect(t.pkg, t.command).toMatch(/^[a-z0-9.+-]+$/);
      expect(t.what, t.command).not.toBe('');
    }
    const commands = tools.map((t) => t.command);
    for (const c of [
      'ip',
      'bridge',
      'tcpdump',
      'iptables-restore',
      'nft',
      'ipset',
      'ipvsadm',
      'nfacct',
      'conntrack',
      'dig',
      'curl',
      'bird',
      'nginx',
      'openssl',
      'iperf3',
      '/usr/bin/python3',
    ])
      expect(commands).toContain(c);
    expect(readFileSync(TOOLS_TABLE, 'utf8')).toContain('lab doctor');
  });
});
