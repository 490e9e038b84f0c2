// `lab run <lab> --kernel <debian|vmlinuz>`: the lab in a VM booted from that kernel, with the
// host's userspace; the guest's console streams here, Ctrl-C stops the VM, the exit code is the
// lab's. `lab test --kernel` does the same (a lab under another kernel lives only as long as its
// VM), and `lab doctor --kernel` lists that kernel's features without booting it.
import { join, resolve } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { interruption } from '../lab/interrupt.js';
import { describeMissing, missingIn, prepareVm, runLabInVm } from '../lab/vm-run.js';
import { featureState, FEATURES, readKernelConfigFile } from '../kernel/features.js';
import { listLabFiles } from '../labfile/load.js';
import { prepareLab } from '../lab/prepare.js';
import { onInterrupt, overridesOf, prepare, reportSkipped, requireRoot } from './common.js';
import { REPORT_PAGE } from '../report/artefacts.js';
import { TCG_THREAD, tcgThreadFromEnv } from '../vm/qemu.js';

export interface VmOptions {
  kernel: string;
  kernelModules?: string;
  out?: string;
  keep?: boolean;
  kubeProxy?: string;
}

const say = (line: string) => console.error(`wirelab: ${line}`);

export async function cmdRunInVm(labArg: string, opts: VmOptions): Promise<number> {
  requireRoot();
  if (opts.keep) {
    console.error('--keep does not go with --kernel: a lab under another kernel lives only as long as its VM');
    return 2;
  }
  // The lab file is checked here first, so a mistake is reported before anything boots.
  const p = await prepare(labArg, overridesOf(opts));
  // So is WIRELAB_TCG_THREAD (runVm reads it again when it starts qemu).
  const tcgThread = tcgThreadFromEnv(process.env.WIRELAB_TCG_THREAD) ?? TCG_THREAD;
  const vm = await prepareVm({ kernel: opts.kernel, kernelModules: opts.kernelModules, say });
  say(`kernel ${vm.kernel.version}: ${vm.kernel.origin}`);
  const missing = missingIn(vm.kernel, p.requires);
  if (missing.length > 0) return reportSkipped(p, describeMissing(vm.kernel, missing), opts.out);
  const tcg = `TCG, full emulation (slower; ${tcgThread === 'single' ? 'every vCPU on one host thread' : 'a host thread per vCPU'})`;
  say(`booting it with ${vm.accel === 'kvm' ? 'KVM' : tcg}: ${vm.reason}`);
  const outDir = opts.out ? resolve(opts.out) : undefined;
  if (outDir) mkdirSync(outDir, { recursive: true });
  const release = onInterrupt('stopping the VM');
  try {
    const r = await runLabInVm(p, vm, { ...opts, outDir, say, onConsole: (l) => console.log(l), signal: interruption.signal });
    if (interruption.signal.aborted) return 130;
    const code = r.exitCodes[0];
    say(`VM done in ${(r.durationMs / 1000).toFixed(1)} s`);
    // The guest named the page by its own path; this is where it is on the host.
    if (outDir && existsSync(join(outDir, REPORT_PAGE))) console.log(`Report: ${join(outDir, REPORT_PAGE)}`);
    if (code === null) {
      console.error(`the VM stopped before the lab finished (qemu exit ${r.qemuExit}); its console is above`);
      return 1;
    }
    return code;
  } finally {
    release();
  }
}

/** `lab doctor --kernel <spec>`: that kernel's features, and which labs it runs or skips. */
export async function cmdDoctorKernel(spec: string, kernelModules?: string): Promise<number> {
  requireRoot();
  const vm = await prepareVm({ kernel: spec, kernelModules, say });
  const config = readKernelConfigFile(vm.kernel.config);
  console.log(`kernel ${vm.kernel.version}: ${vm.kernel.origin}`);
  console.log(`accelerator: ${vm.accel.toUpperCase()} (${vm.reason})\n`);
  for (const [name, info] of Object.entries(FEATURES)) {
    const state = featureState(config, name);
    console.log(`${state === 'missing' ? 'miss' : ' ok '}  ${name}: ${info.what}: ${state}`);
  }
  console.log('');
  for (const file of await listLabFiles()) {
    const p = await prepareLab(file).catch(() => undefined);
    if (!p) continue;
    const missing = missingIn(vm.kernel, p.requires);
    console.log(`${missing.length === 0 ? 'runs ' : 'skips'}  ${p.model.lab}${missing.length ? `: lacks ${missing.join(', ')}` : ''}`);
  }
  return 0;
}
