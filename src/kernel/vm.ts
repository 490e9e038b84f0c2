// Booting a lab VM: the KVM probe (cached per host), the initramfs written out, qemu started in
// its own process group with the guest's console streamed line by line, stopped with SIGTERM
// (then SIGKILL) when the caller aborts, and the work directory removed afterwards. What qemu is
// given is decided by the pure builders in vm/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../paths.js';
import { PROCESS_MARKER } from '../model/names.js';
import { cpioArchive } from '../vm/cpio.js';
import { initramfsEntries, moduleLoadOrder, parseModuleList, parseModulesDep, stage1Init, stage2Script, STAGE1_MODULES } from '../vm/initramfs.js';
import {
  chooseAccelerator,
  guestArgv,
  KERNEL_BANNER,
  kvmProbeArgv,
  qemuArgv,
  tcgThreadFromEnv,
  vmShares,
  type Accelerator,
  type KvmProbe,
} from '../vm/qemu.js';
import { isStaticElf, type BootKernel } from '../vm/kernel-source.js';

const BUSYBOX = '/bin/busybox';
const PROBE_CACHE = join(REPO_ROOT, '.wirelab', 'vm', 'kvm-probe.json');
/** Every VM process carries this marker, so `lab clean` finds a VM a killed `lab` left. */
export const VM_MARKER = 'wirelab-vm';

function canOpenKvm(): boolean {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** Whether KVM boots a guest here, remembered per host kernel (a probe under broken nested KVM
 * costs a few seconds). */
export async function probeKvm(kernel: BootKernel): Promise<{ accel: Accelerator; reason: string }> {
  const key = `${release()} ${readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? ''}`;
  try {
    const cached = JSON.parse(readFileSync(PROBE_CACHE, 'utf8')) as { key: string; accel: Accelerator; reason: string };
    if (cached.key === key) return { accel: cached.accel, reason: `${cached.reason} (probed before)` };
  } catch {
    /* not probed yet */
  }
  const probe: KvmProbe = { device: canOpenKvm() };
  if (probe.device) Object.assign(probe, await bootWatch(kvmProbeArgv(kernel.vmlinuz), 5000));
  const choice = chooseAccelerator(probe);
  mkdirSync(join(REPO_ROOT, '.wirelab', 'vm'), { recursive: true });
  writeFileSync(PROBE_CACHE, JSON.stringify({ key, ...choice }) + '\n');
  return choice;
}

/** Starts qemu and waits for the kernel banner on its console, for at most timeoutMs. */
function bootWatch(argv: string[], timeoutMs: number): Promise<Pick<KvmProbe, 'result' | 'detail'>> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [PROCESS_MARKER]: VM_MARKER } });
    let out = '';
    let done = false;
    const finish = (r: Pick<KvmProbe, 'result' | 'detail'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(r);
    };
    const timer = setTimeout(() => finish({ result: 'silent', detail: `nothing within ${timeoutMs / 1000} s` }), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (KERNEL_BANNER.test(out)) finish({ result: 'booted' });
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => finish({ result: 'exited', detail: out.trim().split('\n')[0] || 'qemu exited' }));
    child.on('error', (e) => finish({ result: 'exited', detail: e.message }));
  });
}

export interface VmRun {
  kernel: BootKernel;
  accel: Accelerator;
  /** Each an argv run in turn by the guest, from the repository's directory. */
  commands: string[][];
  env?: Record<string, string>;
  /** A host directory the guest writes into (lab --out). */
  outDir?: string;
  memoryMb?: number;
  cpus?: number;
  /** Each line the guest's console prints. */
  onConsole?: (line: string) => void;
  signal?: AbortSignal;
}

export interface VmResult {
  /** Exit code of each command, null for one that did not finish (the VM died or was stopped). */
  exitCodes: (number | null)[];
  qemuExit: number | null;
  durationMs: number;
}

/** Boots the kernel, runs the commands in the guest, and returns their exit codes once qemu has
 * exited. Nothing is left afterwards: the VM's writes were in its RAM, the work dir is removed. */
export async function runVm(r: VmRun): Promise<VmResult> {
  const started = performance.now();
  const tcgThread = tcgThreadFromEnv(process.env.WIRELAB_TCG_THREAD);
  const head = readFileSync(BUSYBOX).subarray(0, 4096);
  if (!isStaticElf(head)) throw new Error(`${BUSYBOX} is not statically linked: install Debian's busybox-static (sudo bash scripts/setup-vm.sh)`);
  const work = mkdtempSync(join(tmpdir(), 'wirelab-vm-'));
  try {
    const dep = parseModulesDep(readFileSync(join(r.kernel.modulesDir, 'modules.dep'), 'utf8'));
    const builtinFile = join(r.kernel.modulesDir, 'modules.builtin');
    const builtin = new Set(existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8').split('\n').filter(Boolean) : []);
    const modules = moduleLoadOrder(STAGE1_MODULES, dep, builtin).map((path) => ({ path, data: readFileSync(join(r.kernel.modulesDir, path)) }));
    const initrd = join(work, 'initrd.cpio.gz');
    const commands = r.commands.map((argv) => guestArgv(argv, process.execPath, r.accel));
    const stage2 = stage2Script(REPO_ROOT, commands, r.env ?? {}, parseModuleList(readFileSync(join(REPO_ROOT, 'scripts', 'modules.txt'), 'utf8')));
    writeFileSync(
      initrd,
      gzipSync(
        cpioArchive(
          initramfsEntries({
            busybox: readFileSync(BUSYBOX),
            init: stage1Init(
              r.kernel.version,
              modules.map((m) => m.path),
              !!r.outDir,
            ),
            stage2,
            modules,
          }),
        ),
      ),
    );
    const argv = qemuArgv({
      kernel: r.kernel.vmlinuz,
      initrd,
      accel: r.accel,
      // A CPU model for TCG other than the default, for a QEMU whose emulation of some
      // instruction family crashes guest programs.
      tcgCpu: process.env.WIRELAB_TCG_CPU || undefined,
      tcgThread,
      memoryMb: r.memoryMb ?? 3072,
      cpus: r.cpus ?? 2,
      kernelVersion: r.kernel.version,
      shares: vmShares({ modulesDir: r.kernel.modulesDir, workDir: work, outDir: r.outDir }),
    });
    const qemuExit = await runQemu(argv, r.onConsole ?? (() => {}), r.signal);
    const exitCodes = r.commands.map((_, i) => {
      const f = join(work, `exit.${i}`);
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : null;
    });
    return { exitCodes, qemuExit, durationMs: Math.round(performance.now() - started) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function runQemu(argv: string[], onConsole: (line: string) => void, signal?: AbortSignal): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C in the terminal reaches this process, which stops qemu.
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [PROCESS_MARKER]: VM_MARKER } });
    let pending = '';
    // As text: a UTF-8 character split between two reads must not become two broken ones.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const emit = (d: string) => {
      pending += d.replace(/\r/g, '');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) onConsole(l);
    };
    child.stdout.on('data', emit);
    child.stderr.on('data', emit);
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    };
    signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => reject(new Error(`failed to start qemu: ${e.message}`)));
    child.on('exit', (code) => {
      if (pending) onConsole(pending);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', stop);
      resolve(code);
    });
  });
}

/** VM processes a killed `lab` left behind (marked with VM_MARKER). */
export function strayVmPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(`${PROCESS_MARKER}=${VM_MARKER}`)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}
