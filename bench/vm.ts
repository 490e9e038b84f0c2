// The VM bench: a lab under Debian's stock kernel (`--kernel debian`) next to the same lab on the
// host. Boot-to-ready is the time from starting the command to the guest's stage 2 (the host's
// userspace running in the VM); the ratio compares the whole `lab run flannel-vxlan`. The
// accelerator (KVM or TCG, full emulation) is named: it decides most of the cost.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/paths.js';

const LAB = join(REPO_ROOT, 'bin', 'lab');

function timedRun(args: string[]): Promise<{ ms: number; readyMs?: number; accel?: string; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(LAB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let readyMs: number | undefined;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (readyMs === undefined && out.includes('wirelab-vm: stage 2')) readyMs = performance.now() - t0;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, readyMs, accel: /booting it with (KVM|TCG)/.exec(out)?.[1], code }));
  });
}

export async function benchVm(): Promise<boolean> {
  console.log('\nflannel-vxlan under another kernel (lab run --kernel debian), one run each');
  // The first --kernel run fetches the kernel and probes KVM: not what is being timed.
  spawnSync(LAB, ['doctor', '--kernel', 'debian'], { stdio: 'ignore' });
  const host = await timedRun(['run', 'flannel-vxlan']);
  const vm = await timedRun(['run', 'flannel-vxlan', '--kernel', 'debian']);
  if (vm.code !== 0 || host.code !== 0) {
    console.log(`  FAILED: host exit ${host.code}, VM exit ${vm.code}`);
    return false;
  }
  console.log(`  accelerator                       ${vm.accel ?? '?'}`);
  console.log(`  VM boot to ready (stage 2)        ${((vm.readyMs ?? NaN) / 1000).toFixed(1)} s`);
  console.log(`  lab run flannel-vxlan, VM         ${(vm.ms / 1000).toFixed(1)} s`);
  console.log(`  lab run flannel-vxlan, host       ${(host.ms / 1000).toFixed(1)} s`);
  console.log(`  ratio VM / host                   ${(vm.ms / host.ms).toFixed(1)}x (for information: no target)`);
  return true;
}
