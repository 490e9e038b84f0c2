// Getting a kernel to boot for `--kernel`: Debian's stock kernel fetched with apt and unpacked
// once into a cache (.wirelab/kernels/<release>), or an image given by path with its modules.
// Also the tools a VM needs (scripts/setup-vm.sh installs them the first time).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { debianImagePackage, modulesDirCandidates, versionFromImageName, type BootKernel } from '../vm/kernel-source.js';
import { run } from './exec.js';
import { hostTools, VM_TOOLS_TABLE, whichCommand } from './host-tools.js';

export const KERNEL_CACHE = join(REPO_ROOT, '.wirelab', 'kernels');

/** Installs qemu and busybox-static when missing (scripts/setup-vm.sh). */
export async function ensureVmTools(say: (line: string) => void): Promise<void> {
  const missing = hostTools(VM_TOOLS_TABLE).filter((t) => !whichCommand(t.command));
  if (missing.length === 0) return;
  say(`installing what a VM needs: ${[...new Set(missing.map((t) => t.pkg))].join(', ')} (scripts/setup-vm.sh)`);
  await run(['bash', join(REPO_ROOT, 'scripts', 'setup-vm.sh')], { timeoutMs: 600_000 });
}

/** `--kernel debian` (Debian's stock kernel, fetched once) or `--kernel <vmlinuz>`. */
export async function resolveBootKernel(spec: string, say: (line: string) => void, modulesDir?: string): Promise<BootKernel> {
  if (spec === 'debian') return debianKernel(say);
  const vmlinuz = resolve(spec);
  if (!existsSync(vmlinuz)) throw new Error(`--kernel ${spec}: no such file; give "debian" or the path of a kernel image (vmlinuz-<release>)`);
  const version = versionFromImageName(vmlinuz);
  if (!version) throw new Error(`--kernel ${spec}: cannot tell the kernel's release from the file name; name it vmlinuz-<release> (as /boot does)`);
  const dir = modulesDirCandidates(vmlinuz, version, modulesDir).find((d) => existsSync(join(d, 'modules.dep')));
  if (!dir)
    throw new Error(
      `--kernel ${spec}: no modules for ${version} (looked in ${modulesDirCandidates(vmlinuz, version, modulesDir).join(', ')}); give --kernel-modules <dir>`,
    );
  const config = [join(dir, 'config'), vmlinuz.replace(/vmlinuz-/, 'config-'), `/boot/config-${version}`].find(existsSync);
  if (!config) throw new Error(`--kernel ${spec}: no build configuration found next to it (config-${version})`);
  return { spec, version, vmlinuz, modulesDir: dir, config, origin: `${vmlinuz} with modules from ${dir}` };
}

async function debianKernel(say: (line: string) => void): Promise<BootKernel> {
  const deps = await run(['apt-cache', 'depends', 'linux-image-amd64'], { allowFailure: true });
  const pkg = debianImagePackage(deps.stdout);
  mkdirSync(KERNEL_CACHE, { recursive: true });
  const cached = readdirSync(KERNEL_CACHE, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(KERNEL_CACHE, d.name, 'ready')))
    .map((d) => d.name);
  // Offline, or apt's lists gone: the newest kernel already in the cache will do.
  const version = pkg ? pkg.replace(/^linux-image-/, '') : cached.sort().pop();
  if (!version)
    throw new Error(
      `cannot find Debian's kernel package: apt-cache depends linux-image-amd64 says ${JSON.stringify(deps.stdout.trim() || deps.stderr.trim())}`,
    );
  const dir = join(KERNEL_CACHE, version);
  const kernel: BootKernel = {
    spec: 'debian',
    version,
    vmlinuz: join(dir, 'boot', `vmlinuz-${version}`),
    modulesDir: join(dir, 'lib', 'modules', version),
    config: join(dir, 'boot', `config-${version}`),
    origin: `Debian's ${pkg ?? `linux-image-${version}`} (cached in ${dir})`,
  };
  if (existsSync(join(dir, 'ready'))) return kernel;
  say(`fetching Debian's kernel ${pkg} with apt-get download (once; ~70 MB)`);
  const tmp = mkdtempSync(join(tmpdir(), 'wirelab-kernel-'));
  try {
    await run(['apt-get', 'download', pkg!], { cwd: tmp, timeoutMs: 600_000 });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${tmp}`);
    const tree = join(tmp, 'tree');
    await run(['dpkg-deb', '-x', join(tmp, deb), tree], { timeoutMs: 300_000 });
    say(`preparing its modules (depmod ${version})`);
    await run(['depmod', '-b', tree, version], { timeoutMs: 300_000 });
    // The guest reads its configuration from /lib/modules/<release>/config (kernel/features.ts).
    copyFileSync(join(tree, 'boot', `config-${version}`), join(tree, 'lib', 'modules', version, 'config'));
    mkdirSync(KERNEL_CACHE, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tree, dir);
    writeFileSync(join(dir, 'ready'), `${pkg}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return kernel;
}
