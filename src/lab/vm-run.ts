// A lab under another kernel (`--kernel`): the kernel fetched or found, KVM probed, the lab
// file checked against that kernel's configuration before anything boots, then one VM that runs
// `lab run <lab>` with the host's userspace and shares --out back. The VM and its work files are
// gone afterwards; its exit code is the lab's.
import { readKernelConfigFile, featureState, FEATURES } from '../kernel/features.js';
import { ensureVmTools, resolveBootKernel } from '../kernel/vm-kernels.js';
import { probeKvm, runVm, type VmResult } from '../kernel/vm.js';
import { GUEST_OUT } from '../vm/initramfs.js';
import type { BootKernel } from '../vm/kernel-source.js';
import { LAB_CLI } from '../paths.js';
import type { PreparedLab } from './prepare.js';

export interface VmLabOptions {
  kernel: string;
  kernelModules?: string;
  outDir?: string;
  say: (line: string) => void;
  onConsole: (line: string) => void;
  signal: AbortSignal;
}

/** The VM's kernel, ready to boot, and how it will run (KVM or TCG, and why). */
export async function prepareVm(
  o: Pick<VmLabOptions, 'kernel' | 'kernelModules' | 'say'>,
): Promise<{ kernel: BootKernel; accel: 'kvm' | 'tcg'; reason: string }> {
  if (process.env.WIRELAB_IN_VM) throw new Error('already inside a wirelab VM: run the lab without --kernel here');
  await ensureVmTools(o.say);
  const kernel = await resolveBootKernel(o.kernel, o.say, o.kernelModules);
  const { accel, reason } = await probeKvm(kernel);
  return { kernel, accel, reason };
}

/** Features the lab needs that the VM's kernel lacks (built-in or module both count). */
export function missingIn(kernel: BootKernel, requires: string[]): string[] {
  const config = readKernelConfigFile(kernel.config);
  return requires.filter((f) => featureState(config, f) === 'missing');
}

export function describeMissing(kernel: BootKernel, missing: string[]): string {
  return `kernel ${kernel.version} lacks ${missing.join(', ')} (${missing.map((m) => FEATURES[m]?.what ?? m).join('; ')})`;
}

/** Runs `lab run <lab file>` in a VM booted from the kernel. */
export async function runLabInVm(p: PreparedLab, vm: { kernel: BootKernel; accel: 'kvm' | 'tcg' }, o: VmLabOptions): Promise<VmResult> {
  const mode = p.overrides?.kubeProxy ? ['--kube-proxy', p.overrides?.kubeProxy] : [];
  const argv = [process.execPath, LAB_CLI, 'run', p.loaded.file, ...mode, ...(o.outDir ? ['--out', GUEST_OUT] : [])];
  return runVm({
    kernel: vm.kernel,
    accel: vm.accel,
    commands: [argv],
    env: { WIRELAB_IN_VM: '1' },
    outDir: o.outDir,
    onConsole: o.onConsole,
    signal: o.signal,
  });
}
