// What a VM may leave behind on the host: a qemu process or a work directory.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { strayVmPids } from '../../src/kernel/vm.js';

/** Nothing of a VM: no qemu, no work directory. */
export function vmLeftovers(): string[] {
  return [
    ...strayVmPids().map((p) => `VM process ${p}`),
    ...readdirSync(tmpdir())
      .filter((d) => d.startsWith('wirelab-vm-') && !d.startsWith('wirelab-vm-test-'))
      .map((d) => `VM work dir ${d}`),
  ];
}
