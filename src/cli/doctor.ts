// `lab doctor`: is this machine able to run the labs? Root, tools, kernel features; each
// problem comes with its fix. Optional features (IPVS, IPIP, ...) only decide which labs skip.
import { run } from '../kernel/exec.js';
import { readKernelConfig, featureState, FEATURES } from '../kernel/features.js';
import { checkTool, hostTools, VM_TOOLS_TABLE } from '../kernel/host-tools.js';
import { cniBackends } from '../plan/cni/registry.js';
import { COREDNS_BIN, KUBE_BIN, kubectlBin } from '../plan/workloads/programs.js';

interface Check {
  what: string;
  ok: boolean;
  detail: string;
  fix?: string;
  required: boolean;
}

export async function collectChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({ what: 'running as root', ok: root, detail: root ? 'uid 0' : `uid ${process.getuid?.()}`, fix: 'run with sudo', required: true });
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nodeOk = major > 20 || (major === 20 && minor >= 19);
  checks.push({
    what: 'Node.js >= 20.19',
    ok: nodeOk,
    detail: `v${process.versions.node}`,
    fix: 'install Node.js 20.19 or newer (Debian 13: apt install nodejs)',
    required: true,
  });
  // Every tool setup installs, from the same table (scripts/tools.txt).
  const results = await Promise.all(hostTools().map(async (t) => ({ t, r: await checkTool(t) })));
  for (const { t, r } of results)
    checks.push({
      what: `${t.command} (${t.what})`,
      ok: r.ok,
      detail: r.ok ? r.version : 'not found',
      fix: `apt-get install ${t.pkg} (or run scripts/setup.sh)`,
      required: true,
    });
  // Only `--kernel` runs need these; they are installed the first time one runs.
  for (const t of hostTools(VM_TOOLS_TABLE)) {
    const r = await checkTool(t);
    checks.push({
      what: `${t.command} (${t.what}; for --kernel)`,
      ok: r.ok,
      detail: r.ok ? r.version : 'not installed yet',
      fix: 'installed by the first `lab run <lab> --kernel debian` (scripts/setup-vm.sh)',
      required: false,
    });
  }
  const coredns = await run([COREDNS_BIN, '-version'], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
  const corednsVersion = coredns?.exitCode === 0 ? coredns.stdout.trim().split('\n')[0] : '';
  checks.push({
    what: 'CoreDNS (kube-dns of the DNS labs)',
    ok: corednsVersion !== '',
    detail: corednsVersion || `not built (${COREDNS_BIN})`,
    fix: 'run scripts/setup.sh (it builds CoreDNS with Go: scripts/build-coredns.sh)',
    required: false,
  });
  // The Kubernetes components, built from source by scripts/build-kubernetes.sh.
  for (const [what, bin] of [
    ['agnhost (the containers of most labs)', KUBE_BIN.agnhost],
    ['kube-apiserver', KUBE_BIN.apiserver],
    ['kube-controller-manager', KUBE_BIN.controllerManager],
    ['kube-scheduler', KUBE_BIN.scheduler],
    ['kubectl (lab kubectl, kubectl steps)', kubectlBin()],
  ] as const) {
    const v = await run([bin, ...(bin === kubectlBin() ? ['version', '--client'] : ['--version'])], { allowFailure: true, timeoutMs: 10_000 }).catch(
      () => undefined,
    );
    const version = v?.exitCode === 0 ? (v.stdout.trim() || v.stderr.trim()).split('\n')[0] : '';
    checks.push({
      what,
      ok: version !== '' || (v?.exitCode === 0 && bin === KUBE_BIN.agnhost),
      detail: version || (v?.exitCode === 0 ? 'built' : `not built (${bin})`),
      fix: 'run scripts/setup.sh (it builds the Kubernetes components with Go: scripts/build-kubernetes.sh, ~9 minutes the first time)',
      required: true,
    });
  }
  const config = readKernelConfig();
  checks.push({
    what: 'kernel configuration readable',
    ok: config.source !== undefined,
    detail: config.source ?? 'no /proc/config.gz or /boot/config-*',
    fix: 'modprobe configs, or install the kernel image package with its /boot/config',
    required: false,
  });
  const required = new Set(cniBackends().flatMap((b) => b.requires));
  for (const [name, info] of Object.entries(FEATURES)) {
    const state = featureState(config, name);
    const ok = state === 'built-in' || state === 'module' || state === 'unknown';
    checks.push({ what: `${name}: ${info.what}`, ok, detail: state, fix: info.fix, required: required.has(name) || name === 'CONFIG_NET_NS' });
  }
  return checks;
}

export async function runDoctor(): Promise<number> {
  const checks = await collectChecks();
  const color = Boolean(process.stdout.isTTY);
  const c = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  for (const ch of checks) {
    const mark = ch.ok ? c(32, ' ok ') : ch.required ? c(31, 'FAIL') : c(33, 'miss');
    console.log(`${mark}  ${ch.what}: ${ch.detail}${ch.ok || !ch.fix ? '' : `\n        fix: ${ch.fix}`}`);
  }
  const missingOptional = checks.filter((ch) => !ch.ok && !ch.required);
  if (missingOptional.length > 0) console.log(`\nLabs that need a "miss" feature report "skipped: kernel lacks ..." on this machine.`);
  const failed = checks.filter((ch) => !ch.ok && ch.required);
  console.log(failed.length === 0 ? '\nThis machine can run the labs.' : `\n${failed.length} required check${failed.length === 1 ? '' : 's'} failed.`);
  return failed.length === 0 ? 0 : 1;
}
