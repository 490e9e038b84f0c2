// What the verbs share: exit codes, the root check, progress (listr2), the final table,
// Ctrl-C handling, and turning a lab argument into a prepared lab or a lab name.
import { Listr } from 'listr2';
import { ExitCode } from './exit-code.js';
import { SpecError } from '../labfile/errors.js';
import { labNameOf, type LabOverrides } from '../labfile/load.js';
import { KUBE_PROXY_MODES, type KubeProxyMode } from '../labfile/schema.js';
import { peekLabFile } from '../labfile/peek.js';
import { prepareLab, formatWarnings, type PreparedLab } from '../lab/prepare.js';
import { interruption } from '../lab/interrupt.js';
import { renderTable, skippedReport, type LabReport } from '../report/report.js';
import { REPORT_PAGE, writeArtefacts } from '../report/artefacts.js';
import { labTopology } from '../lab/test.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export { ExitCode };

export const isTTY = Boolean(process.stdout.isTTY);

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    console.error('wirelab needs root to create network namespaces: run it with sudo (e.g. `sudo npm run lab flannel-vxlan`)');
    throw new ExitCode(1);
  }
}

/** Parses, resolves and plans a lab; a bad lab file prints its located problems and exits 2. */
export async function prepare(labArg: string, overrides: LabOverrides = {}): Promise<PreparedLab> {
  try {
    const header = await peekLabFile(labArg);
    if (header.kind === 'comparison') {
      console.error(`"${labArg}" is a comparison of other labs: run it with \`lab run ${labArg}\` (it brings each lab up and down itself)`);
      throw new ExitCode(2);
    }
    const p = await prepareLab(labArg, overrides);
    for (const w of formatWarnings(p)) console.error(w);
    return p;
  } catch (e) {
    if (e instanceof SpecError) {
      console.error(e.message);
      throw new ExitCode(2);
    }
    throw e;
  }
}

export function listr(tasks: ConstructorParameters<typeof Listr>[0]) {
  // We handle SIGINT ourselves: teardown must run before the process exits.
  return new Listr(tasks, {
    registerSignalListeners: false,
    exitOnError: true,
    rendererOptions: { collapseSubtasks: false },
    fallbackRendererCondition: !isTTY,
    silentRendererCondition: false,
  });
}

/** The final table; with --out, then the page to open (and the capture for Wireshark). */
export function printReport(report: LabReport, outDir?: string): void {
  process.stdout.write('\n' + renderTable(report, isTTY));
  if (outDir) {
    const capture = join(outDir, 'capture.pcapng');
    process.stdout.write(`\nReport: ${join(outDir, REPORT_PAGE)}${existsSync(capture) ? `  (every capture point in one file: ${capture})` : ''}\n`);
  }
}

export function exitCodeOf(report: LabReport): number {
  if (report.skipped) return 3;
  return report.passed ? 0 : 1;
}

/** Installs SIGINT/SIGTERM handlers that abort the running step; teardown runs in `finally`. */
export function onInterrupt(what = 'tearing the lab down'): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      console.error(`\n${sig}: stopping, ${what}...`);
      interruption.abort();
    } else if (count > 2) {
      console.error('forced exit: run `sudo lab clean` to remove what is left');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** `lab down` and `lab exec` accept a lab name even when its file is gone or broken. */
export async function labNameFromArg(labArg: string): Promise<string> {
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(labArg)) return labArg;
  try {
    return (await peekLabFile(labArg)).name;
  } catch {
    return labNameOf(labArg);
  }
}

/** A lab this kernel cannot run: its report says so (and --out gets it too); exit code 3. */
export async function reportSkipped(p: PreparedLab, reason: string, outDir: string | undefined): Promise<number> {
  const report = skippedReport(
    p.model.lab,
    p.loaded.spec.expectations.map((e) => e.name),
    reason,
  );
  const results = report.expectations.map((e) => ({ ...e, hops: [], durationMs: 0 }));
  if (outDir) await writeArtefacts(outDir, report, { results, topology: labTopology(p) });
  printReport(report, outDir);
  return 3;
}

/** The `--kube-proxy <mode>` option as overrides; a mode that does not exist exits 2. */
export function overridesOf(opts: { kubeProxy?: string }): LabOverrides {
  if (opts.kubeProxy === undefined) return {};
  if (!(KUBE_PROXY_MODES as readonly string[]).includes(opts.kubeProxy)) {
    console.error(`--kube-proxy ${opts.kubeProxy}: not a kube-proxy mode; use one of ${KUBE_PROXY_MODES.join(', ')}`);
    throw new ExitCode(2);
  }
  return { kubeProxy: opts.kubeProxy as KubeProxyMode };
}
