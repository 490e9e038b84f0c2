// `lab exec`: the installed command (bin/lab) enters a node's or pod's namespace at once, with the
// pod's own resolv.conf and hostname (as kubectl exec), and carries the exit code back; whatever needs a message (unknown name,
// lab not up) is answered by the Node CLI.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT } from './helpers.js';

guardLeftovers('wirelab-exec-');
const BIN = join(ROOT, 'bin', 'lab');
const exec = (...args: string[]) => spawnSync(BIN, ['exec', ...args], { encoding: 'utf8' });

describe('lab exec (bin/lab)', () => {
  it('runs in the pod namespace with its resolv.conf and exit code; names what is wrong otherwise', async () => {
    const down = exec('flannel-vxlan', 'pod-a', '--', 'true');
    expect(down.status).toBe(2);
    expect(down.stderr).toContain('lab "flannel-vxlan" is not up');
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    try {
      const addr = exec('flannel-vxlan', 'pod-a', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth0');
      expect(addr.status, addr.stderr).toBe(0);
      expect(addr.stdout).toContain('10.8.0.5/24');
      expect(exec('flannel-vxlan', 'pod-a', '--', 'cat', '/etc/resolv.conf').stdout).toContain('nameserver 10.96.0.10');
      expect(exec('flannel-vxlan', 'w1', '--', 'sh', '-c', 'exit 7').status).toBe(7);
      // In a pod, as kubectl exec: the pod's name as hostname, runc's 126 for what cannot start;
      // a node keeps the machine's hostname.
      expect(exec('flannel-vxlan', 'pod-a', '--', 'hostname').stdout).toBe('pod-a\n');
      expect(exec(join(ROOT, 'labs/flannel-vxlan.yaml'), 'pod-b', '--', 'hostname').stdout).toBe('pod-b\n');
      const missing = exec('flannel-vxlan', 'pod-a', '--', 'no-such-command');
      expect(missing.status).toBe(126);
      expect(missing.stderr).toContain('executable file not found in $PATH');
      expect(exec('flannel-vxlan', 'w1', '--', 'hostname').stdout).toBe(spawnSync('hostname', { encoding: 'utf8' }).stdout);
      const unknown = exec('flannel-vxlan', 'pod-z', '--', 'true');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain('has no node or pod "pod-z"; it has: cp1, pod-a, pod-b, pod-d, underlay, w1, w2');
      // A path instead of a lab name goes through the Node CLI, which reads the lab's name.
      expect(exec(join(ROOT, 'labs/flannel-vxlan.yaml'), 'pod-b', '--', 'true').status).toBe(0);
    } finally {
      expect((await lab(['down', 'flannel-vxlan'])).code).toBe(0);
    }
  });
});
