// The small initramfs that turns a stock distribution kernel into a machine running the host's
// own userspace (the way virtme-ng does): busybox loads the virtio and 9p modules, mounts the
// host's / read-only over virtio-9p with a tmpfs overlay on top (the guest writes only to RAM),
// mounts the kernel's modules over a second 9p share at /lib/modules/<version>, and switch_roots
// into it; stage 2 (bash, from the host) sets up /proc, /sys, /run, runs the commands and powers
// off. Pure: the scripts, the module list and the archive's entries are built from data.
import { S_IFDIR, S_IFLNK, S_IFREG, type CpioEntry } from './cpio.js';
import { shellQuote } from '../shell-quote.js';

/** 9p mount tags the guest mounts; qemu.ts exports a host directory under each. */
export const SHARE = { root: 'hostroot', modules: 'modules', work: 'wirelab', out: 'out' } as const;
/** Where the guest sees the work share (run script, exit codes) and the --out directory. */
export const GUEST_WORK = '/wirelab-vm';
export const GUEST_OUT = '/wirelab-vm-out';

/** What stage 1 needs to mount its shares (their dependencies come from modules.dep). */
export const STAGE1_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/** modules.dep: "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko ..." -> module path -> its deps. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    out.set(
      line.slice(0, i).trim(),
      line
        .slice(i + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    );
  }
  return out;
}

const moduleName = (path: string) =>
  path
    .slice(path.lastIndexOf('/') + 1)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');

/** The module files to insmod, dependencies first, each once. Built-in modules (modules.builtin)
 * need nothing; a module that is neither there nor built in is an error naming it. */
export function moduleLoadOrder(wanted: string[], dep: Map<string, string[]>, builtin: Set<string>): string[] {
  const byName = new Map([...dep.keys()].map((p) => [moduleName(p), p]));
  const builtinNames = new Set([...builtin].map(moduleName));
  const order: string[] = [];
  const visit = (path: string, chain: string[]) => {
    if (order.includes(path)) return;
    if (chain.includes(path)) throw new Error(`module dependency cycle: ${[...chain, path].join(' -> ')}`);
    for (const d of dep.get(path) ?? []) visit(d, [...chain, path]);
    order.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(name.replace(/-/g, '_'));
    if (path) visit(path, []);
    else if (!builtinNames.has(name.replace(/-/g, '_'))) throw new Error(`the kernel has no module "${name}" (not in modules.dep, not built in)`);
  }
  for (const p of order) if (/\.ko\.(xz|zst|gz)$/.test(p)) throw new Error(`module ${p} is compressed; busybox insmod needs uncompressed modules`);
  return order;
}

/** Stage 1, busybox's /init: modules, shares, overlay, switch_root into stage 2. */
export function stage1Init(kernelVersion: string, modules: string[], withOut: boolean): string {
  const mount9p = (tag: string, dir: string, opts: string) =>
    `mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144${opts} ${tag} ${dir} || fail "cannot mount the ${tag} share"`;
  return `#!/bin/busybox sh
# wirelab VM, stage 1 (busybox): mount the host's / read-only with a tmpfs overlay, the kernel's
# modules, the work share; then switch_root into the host's userspace (stage 2).
/bin/busybox --install -s /bin
fail() { echo "wirelab-vm: $*"; echo o > /proc/sysrq-trigger; sleep 5; }
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo "wirelab-vm: stage 1, kernel $(uname -r)"
${modules.map((m) => `insmod /modules/${moduleName(m)}.ko || fail "insmod ${moduleName(m)} failed"`).join('\n')}
${mount9p(SHARE.root, '/lower', ',ro,cache=loose')}
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "cannot mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "cannot mount the overlay"
mkdir -p /newroot/lib/modules/${kernelVersion} /newroot${GUEST_WORK}${withOut ? ` /newroot${GUEST_OUT}` : ''}
${mount9p(SHARE.modules, `/newroot/lib/modules/${kernelVersion}`, ',ro')}
${mount9p(SHARE.work, `/newroot${GUEST_WORK}`, '')}
${withOut ? mount9p(SHARE.out, `/newroot${GUEST_OUT}`, '') : ''}
cp /stage2 /newroot/wirelab-vm-stage2
mount --move /proc /newroot/proc
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash /wirelab-vm-stage2
`;
}

/** Stage 2, the host's bash in the guest: the mounts a system has, then each command in turn;
 * exit codes go to the work share (exit.<n>), so the host reads them after the VM is gone. */
export function stage2Script(repoDir: string, commands: string[][], env: Record<string, string>, modules: string[] = []): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return `# wirelab VM, stage 2 (the host's userspace, writes go to a tmpfs overlay)
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
hostname wirelab-vm
${modules.length > 0 ? `modprobe -q -a ${modules.map(shellQuote).join(' ')} 2>/dev/null` : ''}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb WIRELAB_NO_BUILD=1
${exports.join('\n')}
cd ${shellQuote(repoDir)} || echo o > /proc/sysrq-trigger
echo "wirelab-vm: stage 2, running ${commands.length} command(s)"
# Through a pipe: the console is a terminal, and progress renderers would draw on it as if it
# were one of a known width.
${commands.map((argv, i) => `${argv.map(shellQuote).join(' ')} 2>&1 | cat\necho "\${PIPESTATUS[0]}" > ${GUEST_WORK}/exit.${i}`).join('\n')}
sync
echo "wirelab-vm: done"
echo o > /proc/sysrq-trigger
sleep 10
`;
}

/** The modules a lab loads up front (scripts/modules.txt: a name, then what it is for). */
export function parseModuleList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((m) => m && !m.startsWith('#'));
}

/** Everything in the initramfs: busybox, /init, stage 2, the modules stage 1 loads. */
export function initramfsEntries(o: { busybox: Uint8Array; init: string; stage2: string; modules: { path: string; data: Uint8Array }[] }): CpioEntry[] {
  const dir = (path: string): CpioEntry => ({ path, mode: S_IFDIR | 0o755 });
  return [
    dir('bin'),
    { path: 'bin/busybox', mode: S_IFREG | 0o755, data: o.busybox },
    { path: 'bin/sh', mode: S_IFLNK | 0o777, data: 'busybox' },
    { path: 'init', mode: S_IFREG | 0o755, data: o.init },
    { path: 'stage2', mode: S_IFREG | 0o644, data: o.stage2 },
    dir('modules'),
    ...o.modules.map((m) => ({ path: `modules/${moduleName(m.path)}.ko`, mode: S_IFREG | 0o644, data: m.data })),
  ];
}
