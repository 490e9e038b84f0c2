// The "newc" cpio format the kernel unpacks an initramfs from (Documentation/driver-api/
// early-userspace/buffer-format.rst): per entry a 110-byte ASCII header, the name, the data, each
// padded to 4 bytes; "TRAILER!!!" ends the archive. Pure: entries in, bytes out.

export interface CpioEntry {
  /** Path inside the archive, without a leading "/" (e.g. "bin/busybox"). */
  path: string;
  /** File type and permission bits, e.g. 0o100755 for an executable, 0o040755 for a directory. */
  mode: number;
  /** File contents (files), or the link target (symlinks); none for directories. */
  data?: Uint8Array | string;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return '070701' + [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, size, 0, 0, 0, 0, nameSize, 0].map(hex8).join('');
}

export function cpioArchive(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const push = (ino: number, path: string, mode: number, data: Buffer) => {
    const name = Buffer.from(`${path}\0`, 'utf8');
    const head = Buffer.from(header(ino, mode, data.length, name.length), 'ascii');
    parts.push(head, name, Buffer.alloc(pad4(head.length + name.length)), data, Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => {
    if (e.path.startsWith('/') || e.path === '') throw new Error(`cpio entry path "${e.path}" must be relative and not empty`);
    const data = e.data === undefined ? Buffer.alloc(0) : typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : Buffer.from(e.data);
    push(i + 1, e.path, e.mode, data);
  });
  push(0, 'TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** Reads an archive back (for tests, and to show what an initramfs holds). */
export function readCpio(buf: Buffer): { path: string; mode: number; data: Buffer }[] {
  const out: { path: string; mode: number; data: Buffer }[] = [];
  let off = 0;
  for (;;) {
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`not a newc cpio archive at offset ${off} (magic "${magic}")`);
    const field = (k: number) => parseInt(buf.toString('ascii', off + 6 + 8 * k, off + 14 + 8 * k), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameStart = off + 110;
    const path = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    const dataStart = nameStart + nameSize + pad4(110 + nameSize);
    if (path === 'TRAILER!!!') return out;
    out.push({ path, mode, data: buf.subarray(dataStart, dataStart + size) });
    off = dataStart + size + pad4(size);
  }
}
