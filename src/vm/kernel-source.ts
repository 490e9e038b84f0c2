// Which kernel a `--kernel` spec names, and where its files are. Pure: the effects (apt-get
// download, dpkg-deb, depmod) are in kernel/vm-kernels.ts.

/** A kernel ready to boot: its image, its modules directory (depmod'ed) and its config. */
export interface BootKernel {
  /** "debian" or the path given. */
  spec: string;
  /** The kernel's release, as `uname -r` prints it in the guest (e.g. 6.1.0-57-amd64). */
  version: string;
  vmlinuz: string;
  modulesDir: string;
  /** Its build configuration (CONFIG_* lines), for feature checks without booting it. */
  config: string;
  /** A line saying where it came from, for the user. */
  origin: string;
}

/** The Debian package `linux-image-amd64` depends on, from `apt-cache depends` output
 * ("  Depends: linux-image-6.1.0-57-amd64"). */
export function debianImagePackage(aptCacheDepends: string): string | undefined {
  return /^\s*Depends:\s*(linux-image-\d[^\s]*)\s*$/m.exec(aptCacheDepends)?.[1];
}

/** The release of a kernel image from its file name: vmlinuz-6.1.0-57-amd64 -> 6.1.0-57-amd64. */
export function versionFromImageName(file: string): string | undefined {
  return /(?:^|\/)(?:vmlinuz|bzImage)-([^/]+)$/.exec(file)?.[1];
}

/** Where a kernel image's modules are, in the order they are looked for: an explicit directory,
 * the tree the image was unpacked in (<root>/boot/vmlinuz-V -> <root>/lib/modules/V), the
 * running system's /lib/modules/V. */
export function modulesDirCandidates(vmlinuz: string, version: string, explicit?: string): string[] {
  if (explicit) return [explicit];
  const root = vmlinuz.replace(/\/boot\/[^/]+$/, '');
  return [...(root !== vmlinuz ? [`${root}/lib/modules/${version}`] : []), `/lib/modules/${version}`];
}

/** True when an ELF executable has no program interpreter (PT_INTERP): a static binary that
 * runs in an initramfs with no libc. */
export function isStaticElf(head: Uint8Array): boolean {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return false; // ELF64, little-endian
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > b.length) return false;
    if (b.readUInt32LE(off) === 3) return false; // PT_INTERP
  }
  return true;
}
