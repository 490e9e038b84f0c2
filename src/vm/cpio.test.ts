import { describe, expect, it } from 'vitest';
import { cpioArchive, readCpio, S_IFDIR, S_IFLNK, S_IFREG } from './cpio.js';

describe('newc cpio', () => {
  it('writes entries that read back with their modes and contents, 4-byte aligned', () => {
    const buf = cpioArchive([
      { path: 'bin', mode: S_IFDIR | 0o755 },
      { path: 'bin/tool', mode: S_IFREG | 0o755, data: Buffer.from([1, 2, 3]) },
      { path: 'init', mode: S_IFREG | 0o755, data: '#!/bin/sh\n' },
      { path: 'sh', mode: S_IFLNK | 0o777, data: 'bin/tool' },
    ]);
    expect(buf.length % 4).toBe(0);
    expect(buf.toString('ascii', 0, 6)).toBe('070701');
    const back = readCpio(buf);
    expect(back.map((e) => [e.path, e.mode.toString(8), e.data.toString('latin1')])).toEqual([
      ['bin', '40755', ''],
      ['bin/tool', '100755', '\x01\x02\x03'],
      ['init', '100755', '#!/bin/sh\n'],
      ['sh', '120777', 'bin/tool'],
    ]);
    expect(buf.toString('latin1')).toContain('TRAILER!!!');
  });

  it('refuses absolute paths', () => {
    expect(() => cpioArchive([{ path: '/init', mode: S_IFREG | 0o755, data: '' }])).toThrow(/must be relative/);
  });
});
