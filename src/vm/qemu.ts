// qemu's command line for a lab VM: the stock kernel with the wirelab initramfs, the host's
// directories as virtio-9p shares, the serial console on stdout, no network card (the labs build
// their own networks inside the guest), and KVM when it works, TCG otherwise. Pure.
import { SHARE } from './initramfs.js';
import { INHERITED_NODE_FLAGS } from '../plan/workloads/programs.js';

export type Accelerator = 'kvm' | 'tcg';

export interface Share {
  tag: string;
  hostPath: string;
  readonly: boolean;
}

export interface VmSpec {
  kernel: string;
  initrd: string;
  accel: Accelerator;
  memoryMb: number;
  cpus: number;
  shares: Share[];
  kernelVersion: string;
  /** TCG's -cpu (default TCG_CPU). */
  tcgCpu?: string;
  /** TCG's thread mode (default TCG_THREAD). */
  tcgThread?: TcgThread;
}

/** The host directories the guest mounts: its root, the kernel's modules, the work directory
 * (scripts in, exit codes out) and, with --out, the artefacts directory. */
export function vmShares(o: { modulesDir: string; workDir: string; outDir?: string }): Share[] {
  return [
    { tag: SHARE.root, hostPath: '/', readonly: true },
    { tag: SHARE.modules, hostPath: o.modulesDir, readonly: true },
    { tag: SHARE.work, hostPath: o.workDir, readonly: false },
    ...(o.outDir ? [{ tag: SHARE.out, hostPath: o.outDir, readonly: false }] : []),
  ];
}

/** TCG's CPU: every feature TCG emulates but AVX. QEMU 7.2 (Debian 12) added AVX to TCG with a
 * rewritten vector decoder whose bugs (fixed in 8.x) can crash guest programs; without AVX, glibc,
 * V8 and Go pick their SSE code paths. WIRELAB_TCG_CPU picks another model. */
export const TCG_CPU = 'max,-avx,-avx2';

/**
 * V8 flags for Node in a TCG guest. With multi-threaded TCG, Node died in 3 of 9 runs of the
 * communication matrix in IPVS mode, once with V8's "Check failed: maybe_code.has_value()" inside
 * Runtime_WasmTriggerTierUp; without wasm tier-up 7 of 7 passed, so the flag stayed. It was not
 * the cause: Node kept dying now and then (TCG_THREAD says how it was found and fixed). The
 * harness passes the flags on to the Node programs it starts in the guest (node agents, the
 * ingress controller): plan/workloads/programs.ts INHERITED_NODE_FLAGS.
 */
export const TCG_NODE_FLAGS = INHERITED_NODE_FLAGS;

/** A guest command as the guest runs it: Node under TCG gets TCG_NODE_FLAGS. */
export function guestArgv(argv: string[], nodePath: string, accel: Accelerator): string[] {
  return accel === 'tcg' && argv[0] === nodePath ? [argv[0], ...TCG_NODE_FLAGS, ...argv.slice(1)] : argv;
}

export type TcgThread = 'single' | 'multi';
/**
 * TCG runs every vCPU on one host thread. With one host thread per vCPU (QEMU 7.2, Debian 12,
 * thread=multi), Node in the guest died now and then, each time after the lab's expectations
 * had run, when the report's pictures are laid out (Graphviz compiled to WebAssembly). A guest
 * rendering `lab graph communication-matrix --format svg` in a loop failed 6 times in 40
 * (SIGSEGV, SIGILL, a wasm "memory access out of bounds", V8 tripping over a bad return address
 * while walking the stack), and 2 in the first 5 without PKU in the CPU; with thread=single,
 * 0 in 30. The loop took 20 s a render with thread=single, 17 s with thread=multi.
 * WIRELAB_TCG_THREAD=multi picks the other mode.
 */
export const TCG_THREAD: TcgThread = 'single';

/** WIRELAB_TCG_THREAD's value as a thread mode; anything but single or multi is an error naming both. */
export function tcgThreadFromEnv(v: string | undefined): TcgThread | undefined {
  if (!v) return undefined;
  if (v === 'single' || v === 'multi') return v;
  throw new Error(`WIRELAB_TCG_THREAD=${v}: use single (one host thread for every vCPU) or multi (one per vCPU)`);
}

export function qemuArgv(v: VmSpec): string[] {
  const accel = v.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', `tcg,thread=${v.tcgThread ?? TCG_THREAD}`, '-cpu', v.tcgCpu ?? TCG_CPU];
  return [
    'qemu-system-x86_64',
    ...accel,
    '-machine',
    'q35',
    '-m',
    String(v.memoryMb),
    '-smp',
    String(v.cpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-nic',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    v.kernel,
    '-initrd',
    v.initrd,
    // panic=-1: a kernel panic reboots, and -no-reboot turns that into qemu exiting.
    '-append',
    'console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init',
    ...v.shares.flatMap((s) => [
      '-virtfs',
      `local,path=${s.hostPath},mount_tag=${s.tag},security_model=none,multidevs=remap${s.readonly ? ',readonly=on' : ''}`,
    ]),
  ];
}

/** The short boot that tells whether KVM works here: -cpu host under KVM, the kernel alone,
 * its console watched for the first line a booting kernel prints. */
export function kvmProbeArgv(kernel: string): string[] {
  return [
    'qemu-system-x86_64',
    '-accel',
    'kvm',
    '-cpu',
    'host',
    '-m',
    '256',
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    kernel,
    '-append',
    'console=ttyS0 panic=-1',
  ];
}

export interface KvmProbe {
  /** /dev/kvm is there and openable. */
  device: boolean;
  /** What the probe boot did: printed the kernel's banner, exited, or stayed silent. */
  result?: 'booted' | 'exited' | 'silent';
  detail?: string;
}

/** KVM when a guest kernel actually boots under it; TCG (full emulation, slower) otherwise.
 * Nested KVM can be present and broken: -cpu host aborting on an MSR, or a guest that hangs. */
export function chooseAccelerator(p: KvmProbe): { accel: Accelerator; reason: string } {
  if (!p.device) return { accel: 'tcg', reason: 'no usable /dev/kvm' };
  if (p.result === 'booted') return { accel: 'kvm', reason: 'KVM boots a guest kernel' };
  if (p.result === 'exited') return { accel: 'tcg', reason: `KVM is present but broken here (${p.detail ?? 'qemu exited'})` };
  return { accel: 'tcg', reason: `KVM is present but a guest under it printed nothing${p.detail ? ` (${p.detail})` : ''}` };
}

/** Linux prints this banner among its first lines; seeing it means the guest is running. */
export const KERNEL_BANNER = /Linux version \d/;
