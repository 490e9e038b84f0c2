import { describe, expect, it } from 'vitest';
import { chooseAccelerator, guestArgv, kvmProbeArgv, qemuArgv, tcgThreadFromEnv, vmShares } from './qemu.js';
import { agentProgram, imageProgram } from '../plan/workloads/programs.js';
import { initramfsEntries, moduleLoadOrder, parseModuleList, parseModulesDep, stage1Init, stage2Script, STAGE1_MODULES } from './initramfs.js';

const DEP = [
  'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko:',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko:',
  'kernel/drivers/virtio/virtio.ko:',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
  'kernel/net/9p/9pnet.ko:',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/netfs/netfs.ko:',
  'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/fs/overlayfs/overlay.ko:',
].join('\n');

describe('initramfs', () => {
  it("loads stage 1's modules with their dependencies first, each once (Debian 6.1's modules.dep)", () => {
    const order = moduleLoadOrder(STAGE1_MODULES, parseModulesDep(DEP), new Set());
    const names = order.map((p) => p.split('/').pop());
    expect(names).toEqual([
      'virtio_pci_legacy_dev.ko',
      'virtio_pci_modern_dev.ko',
      'virtio.ko',
      'virtio_ring.ko',
      'virtio_pci.ko',
      '9pnet.ko',
      '9pnet_virtio.ko',
      'netfs.ko',
      'fscache.ko',
      '9p.ko',
      'overlay.ko',
    ]);
    for (const [i, p] of order.entries()) for (const d of parseModulesDep(DEP).get(p) ?? []) expect(order.indexOf(d), `${d} before ${p}`).toBeLessThan(i);
  });

  it('skips built-in modules and names a missing one', () => {
    const dep = parseModulesDep('kernel/fs/9p/9p.ko:\n');
    expect(moduleLoadOrder(['overlay', '9p'], dep, new Set(['kernel/fs/overlayfs/overlay.ko']))).toEqual(['kernel/fs/9p/9p.ko']);
    expect(() => moduleLoadOrder(['ip_vs'], dep, new Set())).toThrow('the kernel has no module "ip_vs"');
  });

  it('holds busybox, /init, stage 2 and the modules by name', () => {
    const entries = initramfsEntries({
      busybox: new Uint8Array([0x7f]),
      init: '#!/bin/busybox sh\n',
      stage2: 'true\n',
      modules: [{ path: 'kernel/fs/9p/9p.ko', data: new Uint8Array([1]) }],
    });
    expect(entries.map((e) => e.path)).toEqual(['bin', 'bin/busybox', 'bin/sh', 'init', 'stage2', 'modules', 'modules/9p.ko']);
    expect(entries.find((e) => e.path === 'init')!.mode & 0o111).toBeTruthy();
  });

  it('stage 1 mounts the shares and the overlay, then switch_roots; stage 2 records each exit code', () => {
    const init = stage1Init('6.1.0-57-amd64', ['kernel/fs/9p/9p.ko'], true);
    expect(init).toContain('insmod /modules/9p.ko');
    expect(init).toContain('mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro,cache=loose hostroot /lower');
    expect(init).toContain('/newroot/lib/modules/6.1.0-57-amd64');
    expect(init).toContain(' out /newroot/wirelab-vm-out');
    expect(init).toMatch(/exec switch_root \/newroot \/bin\/bash \/wirelab-vm-stage2\n$/);
    expect(stage1Init('v', [], false)).not.toContain(' out ');
    const s2 = stage2Script('/work/my repo', [['node', 'bin/lab.js', 'run', 'x'], ['true']], { WIRELAB_IN_VM: '1' }, ['br_netfilter', 'ip_vs']);
    expect(s2).toContain("cd '/work/my repo'");
    expect(s2).toContain('node bin/lab.js run x 2>&1 | cat\necho "${PIPESTATUS[0]}" > /wirelab-vm/exit.0');
    expect(s2).toContain('true 2>&1 | cat\necho "${PIPESTATUS[0]}" > /wirelab-vm/exit.1');
    expect(s2).toContain('modprobe -q -a br_netfilter ip_vs');
    expect(parseModuleList('# c\nbr_netfilter  what\n\nip_vs x y\n')).toEqual(['br_netfilter', 'ip_vs']);
    expect(s2).toContain('export WIRELAB_IN_VM=1');
  });
});

describe('qemu', () => {
  it('boots the kernel with the initramfs, 9p shares, no NIC, serial on stdio', () => {
    const argv = qemuArgv({
      kernel: '/k/vmlinuz',
      initrd: '/w/initrd',
      accel: 'tcg',
      memoryMb: 3072,
      cpus: 2,
      kernelVersion: 'v',
      shares: vmShares({ modulesDir: '/k/modules', workDir: '/w', outDir: '/o' }),
    });
    expect(argv.slice(0, 5)).toEqual(['qemu-system-x86_64', '-accel', 'tcg,thread=single', '-cpu', 'max,-avx,-avx2']);
    const spec = { kernel: 'k', initrd: 'i', accel: 'tcg' as const, memoryMb: 1, cpus: 1, kernelVersion: 'v', shares: [] };
    expect(qemuArgv({ ...spec, tcgCpu: 'Nehalem' }).slice(3, 5)).toEqual(['-cpu', 'Nehalem']);
    expect(qemuArgv({ ...spec, tcgThread: tcgThreadFromEnv('multi') }).slice(1, 3)).toEqual(['-accel', 'tcg,thread=multi']);
    expect(tcgThreadFromEnv(undefined)).toBeUndefined();
    expect(() => tcgThreadFromEnv('one')).toThrow('WIRELAB_TCG_THREAD=one: use single (one host thread for every vCPU) or multi (one per vCPU)');
    // Node in a TCG guest runs without wasm tier-up; other programs, and Node under KVM, as given.
    expect(guestArgv(['/usr/bin/node', 'bin/lab.js', 'run', 'x'], '/usr/bin/node', 'tcg')).toEqual([
      '/usr/bin/node',
      '--no-wasm-tier-up',
      'bin/lab.js',
      'run',
      'x',
    ]);
    expect(guestArgv(['ip', 'netns', 'list'], '/usr/bin/node', 'tcg')).toEqual(['ip', 'netns', 'list']);
    expect(guestArgv(['/usr/bin/node', 'bin/lab.js'], '/usr/bin/node', 'kvm')).toEqual(['/usr/bin/node', 'bin/lab.js']);
    // ...and the harness started that way passes the flag on to the node agents and the ingress
    // controller it starts there, not other flags of its own.
    const guestHarness = guestArgv([process.execPath, 'bin/lab.js'], process.execPath, 'tcg').slice(1, -1);
    expect(agentProgram([...guestHarness, '--inspect']).slice(0, 2)).toEqual([process.execPath, '--no-wasm-tier-up']);
    expect(imageProgram('ingress-controller', guestHarness)[1]).toBe('--no-wasm-tier-up');
    expect(agentProgram([])).toHaveLength(2);
    expect(argv).toEqual(expect.arrayContaining(['-kernel', '/k/vmlinuz', '-initrd', '/w/initrd', '-nic', 'none', '-no-reboot', '-serial', 'stdio']));
    const virtfs = argv.filter((_, i) => argv[i - 1] === '-virtfs');
    expect(virtfs).toEqual([
      'local,path=/,mount_tag=hostroot,security_model=none,multidevs=remap,readonly=on',
      'local,path=/k/modules,mount_tag=modules,security_model=none,multidevs=remap,readonly=on',
      'local,path=/w,mount_tag=wirelab,security_model=none,multidevs=remap',
      'local,path=/o,mount_tag=out,security_model=none,multidevs=remap',
    ]);
    expect(qemuArgv({ kernel: 'k', initrd: 'i', accel: 'kvm', memoryMb: 1, cpus: 1, kernelVersion: 'v', shares: [] }).slice(1, 5)).toEqual([
      '-accel',
      'kvm',
      '-cpu',
      'host',
    ]);
    expect(kvmProbeArgv('/k/vmlinuz')).toEqual(expect.arrayContaining(['-accel', 'kvm', '-cpu', 'host', '-kernel', '/k/vmlinuz']));
  });

  it('uses KVM only when a guest kernel boots under it', () => {
    expect(chooseAccelerator({ device: true, result: 'booted' }).accel).toBe('kvm');
    expect(chooseAccelerator({ device: false })).toEqual({ accel: 'tcg', reason: 'no usable /dev/kvm' });
    expect(chooseAccelerator({ device: true, result: 'exited', detail: 'failed to set MSR 0x10a' })).toEqual({
      accel: 'tcg',
      reason: 'KVM is present but broken here (failed to set MSR 0x10a)',
    });
    expect(chooseAccelerator({ device: true, result: 'silent' }).accel).toBe('tcg');
  });
});
