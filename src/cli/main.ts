// The `lab` command. Verbs: run, up, test, down, exec, list, clean, doctor.
// `lab <name>` (and `npm run lab <name>`) means `lab run <name>`.
// Exit codes: 0 all expectations passed; 1 an expectation failed or an operation failed;
// 2 the lab file or the command line is wrong; 3 the lab was skipped (kernel lacks a feature);
// 130 interrupted (after teardown).
import { Command, CommanderError } from 'commander';
import { Listr } from 'listr2';
import { readFile } from 'node:fs/promises';
import { SpecError } from '../labfile/errors.js';
import { listLabFiles, labNameOf, resolveLabFile } from '../labfile/load.js';
import { isComparisonFile, loadComparison, renderComparison, runComparison, type ComparisonRow } from '../lab/compare.js';
import { parse as parseYaml } from 'yaml';
import { formatWarnings, prepareLab, upLab, testLab, downLab, skipReason, skippedReport, writeArtefacts, interruption, LabAlreadyUp, type PreparedLab } from '../lab/lifecycle.js';
import { renderPlan } from '../kernel/commands.js';
import { opCount } from '../plan/plan-lab.js';
import { renderTable, type LabReport } from '../report/report.js';
import { cleanAll, labsPresent } from '../kernel/teardown.js';
import { runDoctor } from './doctor.js';
import { netnsName } from '../model/names.js';
import { ownedNetns } from '../kernel/netns.js';
import { execInNetns } from '../kernel/interactive.js';

const VERBS = ['run', 'up', 'test', 'down', 'exec', 'list', 'clean', 'doctor', 'help'];
const isTTY = Boolean(process.stdout.isTTY);

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    console.error('wirelab needs root to create network namespaces: run it with sudo (e.g. `sudo npm run lab flannel-vxlan`)');
    throw new ExitCode(1);
  }
}

async function prepare(labArg: string): Promise<PreparedLab> {
  if (await comparisonFile(labArg)) {
    console.error(`"${labArg}" is a comparison of other labs: run it with \`lab run ${labArg}\` (it brings each lab up and down itself)`);
    throw new ExitCode(2);
  }
  try {
    const p = await prepareLab(labArg);
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

function listr(tasks: ConstructorParameters<typeof Listr>[0]) {
  // We handle SIGINT ourselves: teardown must run before the process exits.
  return new Listr(tasks, { registerSignalListeners: false, exitOnError: true, rendererOptions: { collapseSubtasks: false }, fallbackRendererCondition: !isTTY, silentRendererCondition: false });
}

function printReport(report: LabReport): void {
  process.stdout.write('\n' + renderTable(report, isTTY));
}

function exitCodeOf(report: LabReport): number {
  if (report.skipped) return 3;
  return report.passed ? 0 : 1;
}

/** Installs SIGINT/SIGTERM handlers that abort the running step; teardown runs in `finally`. */
function onInterrupt(what = 'tearing the lab down'): () => void {
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

/** A comparison file (labs/compare-backends.yaml) names other labs instead of a cluster. */
async function comparisonFile(labArg: string): Promise<string | undefined> {
  try {
    const file = resolveLabFile(labArg);
    return isComparisonFile(parseYaml(await readFile(file, 'utf8'))) ? file : undefined;
  } catch {
    return undefined;
  }
}

async function comparisonLabNames(c: Awaited<ReturnType<typeof loadComparison>>): Promise<string[]> {
  const names: string[] = [];
  for (const l of new Set(c.compare.map((r) => r.lab))) names.push(await labNameFromArg(l));
  return names;
}

async function cmdCompare(file: string, opts: { out?: string }): Promise<number> {
  const started = Date.now();
  const c = await loadComparison(file);
  const release = onInterrupt();
  let rows: ComparisonRow[] = [];
  try {
    await listr([{ title: `Measure ${c.compare.length} pod networks`, task: async (_c, task) => {
      rows = await runComparison(c, opts.out, (label) => (task.output = label));
    } }]).run();
  } catch (e) {
    if (!interruption.signal.aborted) throw e;
  } finally {
    release();
    // Only the comparison's own labs: other labs the user has up are left alone.
    if (interruption.signal.aborted) for (const l of await comparisonLabNames(c)) await downLab(l);
  }
  if (interruption.signal.aborted) return 130;
  process.stdout.write('\n' + renderComparison(rows));
  const report: LabReport = {
    lab: c.name,
    passed: rows.every((r) => r.skipped || (!r.error && r.pathMtu !== null && r.rttMs !== null && r.throughputMbps !== null)),
    durationMs: Date.now() - started,
    expectations: rows.map((r) => ({
      name: r.label,
      passed: !r.skipped && !r.error && r.pathMtu !== null,
      ...(r.skipped ? { skipped: r.skipped } : {}),
      message: r.skipped ?? r.error ?? `overhead ${r.overheadBytes ?? 'n/a'} bytes, path MTU ${r.pathMtu}, RTT ${r.rttMs} ms, TCP ${r.throughputMbps} Mbit/s`,
      hops: [],
    })),
  };
  if (opts.out) await writeArtefacts(opts.out, report);
  return report.passed ? 0 : 1;
}

async function cmdRun(labArg: string, opts: { keep?: boolean; out?: string }): Promise<number> {
  requireRoot();
  const comparison = await comparisonFile(labArg);
  if (comparison) return cmdCompare(comparison, opts);
  const p = await prepare(labArg);
  const reason = skipReason(p);
  if (reason) {
    const report = skippedReport(p, reason);
    if (opts.out) await writeArtefacts(opts.out, report);
    printReport(report);
    return 3;
  }
  const lab = p.model.lab;
  const release = onInterrupt();
  let report: LabReport | undefined;
  let failure: unknown;
  // Tear down only what this command started: a lab that was already up is left alone.
  let claimed = true;
  try {
    await listr([
      {
        title: `Bring up ${lab}: ${p.plan.namespaces.length} namespaces, ${opCount(p.plan)} operations`,
        task: async (_ctx, task) => {
          try {
            await upLab(p, { onStep: (t) => (task.output = t) });
          } catch (e) {
            if (e instanceof LabAlreadyUp) claimed = false;
            throw e;
          }
        },
      },
      {
        title: `Run ${p.loaded.spec.expectations.length} expectations`,
        task: async (_ctx, task) => {
          const n = p.loaded.spec.expectations.length;
          report = await testLab(p, { outDir: opts.out, onExpectation: (e, i) => (task.output = `${i + 1}/${n} ${e.name}`) });
        },
      },
    ]).run();
  } catch (e) {
    failure = e;
  } finally {
    if (claimed && (!opts.keep || interruption.signal.aborted || failure !== undefined)) {
      await listr([{ title: `Tear down ${lab}`, task: async (_c, task) => {
        const r = await downLab(lab);
        task.title = `Tore down ${lab}: ${r.namespaces.length} namespaces, ${r.processes} processes`;
      } }]).run();
    } else if (claimed) {
      console.log(`\nlab "${lab}" is still up (--keep). Try: sudo npm run lab -- exec ${lab} ${p.model.pods[0]?.name ?? p.model.nodes[0].name} -- ip addr\nThen: sudo npm run lab -- down ${lab}`);
    }
    release();
  }
  if (interruption.signal.aborted) return 130;
  if (failure) {
    if (failure instanceof LabAlreadyUp) {
      console.error(failure.message);
      return 1;
    }
    throw failure;
  }
  printReport(report!);
  return exitCodeOf(report!);
}

async function cmdUp(labArg: string, opts: { dryRun?: boolean }): Promise<number> {
  if (opts.dryRun) {
    const p = await prepare(labArg);
    process.stdout.write(renderPlan(p.plan));
    const reason = skipReason(p);
    if (reason) console.error(`note: this machine would skip the lab: ${reason}`);
    return 0;
  }
  requireRoot();
  const p = await prepare(labArg);
  const reason = skipReason(p);
  if (reason) {
    console.error(`skipped: ${reason}`);
    return 3;
  }
  const release = onInterrupt();
  try {
    await listr([{ title: `Bring up ${p.model.lab}: ${p.plan.namespaces.length} namespaces, ${opCount(p.plan)} operations`, task: async (_c, task) => upLab(p, { onStep: (t) => (task.output = t) }) }]).run();
  } catch (e) {
    if (e instanceof LabAlreadyUp) {
      console.error(e.message);
      return 1;
    }
    throw e;
  } finally {
    release();
  }
  console.log(`lab "${p.model.lab}" is up. Next: lab test ${p.model.lab} | lab exec ${p.model.lab} <node-or-pod> -- <cmd> | lab down ${p.model.lab}`);
  return 0;
}

async function cmdTest(labArg: string, opts: { out?: string }): Promise<number> {
  requireRoot();
  const p = await prepare(labArg);
  const reason = skipReason(p);
  if (reason) {
    const report = skippedReport(p, reason);
    if (opts.out) await writeArtefacts(opts.out, report);
    printReport(report);
    return 3;
  }
  const release = onInterrupt('stopping captures (the lab stays up)');
  let report: LabReport | undefined;
  try {
    await listr([{ title: `Run ${p.loaded.spec.expectations.length} expectations against ${p.model.lab}`, task: async (_c, task) => {
      const n = p.loaded.spec.expectations.length;
      report = await testLab(p, { outDir: opts.out, onExpectation: (e, i) => (task.output = `${i + 1}/${n} ${e.name}`) });
    } }]).run();
  } catch (e) {
    if (interruption.signal.aborted) return 130;
    throw e;
  } finally {
    release();
  }
  if (interruption.signal.aborted) return 130;
  printReport(report!);
  return exitCodeOf(report!);
}

/** `lab down` accepts a lab name even when its file is gone or broken. */
async function labNameFromArg(labArg: string): Promise<string> {
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(labArg)) return labArg;
  try {
    const doc = parseYaml(await readFile(labArg, 'utf8')) as { name?: string };
    if (doc?.name) return doc.name;
  } catch {
    /* fall through */
  }
  return labNameOf(labArg);
}

async function cmdDown(labArg: string): Promise<number> {
  requireRoot();
  const lab = await labNameFromArg(labArg);
  const r = await downLab(lab);
  console.log(r.namespaces.length === 0 && r.processes === 0 ? `lab "${lab}" was not up; nothing to remove` : `lab "${lab}" is down: removed ${r.namespaces.length} namespaces, stopped ${r.processes} processes`);
  return 0;
}

async function cmdExec(labArg: string, target: string, cmd: string[]): Promise<number> {
  requireRoot();
  const lab = await labNameFromArg(labArg);
  const ns = netnsName(lab, target);
  const present = await ownedNetns(lab);
  if (!present.includes(ns)) {
    const names = present.map((n) => n.slice(n.indexOf('.') + 1));
    console.error(names.length === 0 ? `lab "${lab}" is not up: run \`lab up ${lab}\` first` : `lab "${lab}" has no node or pod "${target}"; it has: ${names.join(', ')}`);
    return 2;
  }
  return execInNetns(ns, cmd.length > 0 ? cmd : ['bash']);
}

async function cmdList(): Promise<number> {
  const up = new Set(await labsPresent());
  const rows: [string, string, string][] = [];
  for (const file of await listLabFiles()) {
    let description = '';
    let name = labNameOf(file);
    try {
      const doc = parseYaml(await readFile(file, 'utf8')) as { name?: string; description?: string };
      description = doc?.description ?? '';
      name = doc?.name ?? name;
    } catch {
      description = '(unreadable YAML)';
    }
    rows.push([labNameOf(file), up.has(name) ? 'up' : '', description]);
  }
  const w = Math.max(...rows.map((r) => r[0].length), 4);
  console.log(`${'LAB'.padEnd(w)}  ${'STATE'.padEnd(5)}  DESCRIPTION`);
  for (const [n, s, d] of rows) console.log(`${n.padEnd(w)}  ${s.padEnd(5)}  ${d}`);
  return 0;
}

async function cmdClean(): Promise<number> {
  requireRoot();
  const r = await cleanAll();
  console.log(r.namespaces.length === 0 && r.processes === 0 ? 'nothing of any lab was left on this machine' : `removed ${r.namespaces.length} namespaces (${r.namespaces.join(', ')}) and stopped ${r.processes} processes`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length > 0 && !argv[0].startsWith('-') && !VERBS.includes(argv[0])) argv = ['run', ...argv];
  let code = 0;
  const program = new Command('lab')
    .description('wirelab: Kubernetes networking on real Linux kernel state, checked packet by packet')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', '\nExamples:\n  sudo npm run lab flannel-vxlan          # up, test, down\n  sudo lab run flannel-vxlan --out out/   # with report.json, junit.xml, pcaps/\n  sudo lab up flannel-vxlan && sudo lab exec flannel-vxlan pod-a -- ping -c1 10.8.1.10\n\nExit codes: 0 passed, 1 failed, 2 bad lab file or arguments, 3 skipped (kernel lacks a feature), 130 interrupted.');
  const labArg = '<lab>';
  const labHelp = 'a lab name from labs/ (see `lab list`) or a path to a lab YAML file';
  program.command('run').description('bring a lab up, run its expectations, tear it down').argument(labArg, labHelp)
    .option('--keep', 'leave the lab up afterwards (tear down later with `lab down`)')
    .option('--out <dir>', 'write report.json, junit.xml and pcaps/<namespace>_<interface>.pcap')
    .action(async (lab, opts) => { code = await cmdRun(lab, opts); });
  program.command('up').description('bring a lab up and leave it running').argument(labArg, labHelp)
    .option('--dry-run', 'print the plan of kernel operations; change nothing (no root needed)')
    .action(async (lab, opts) => { code = await cmdUp(lab, opts); });
  program.command('test').description("run a lab's expectations against the lab that is up").argument(labArg, labHelp)
    .option('--out <dir>', 'write report.json, junit.xml and pcaps/<namespace>_<interface>.pcap')
    .action(async (lab, opts) => { code = await cmdTest(lab, opts); });
  program.command('down').description('tear a lab down: its processes, namespaces and state').argument(labArg, labHelp)
    .action(async (lab) => { code = await cmdDown(lab); });
  program.command('exec').description("run a command inside a node's or pod's network namespace (like kubectl exec)")
    .argument(labArg, labHelp).argument('<node-or-pod>', 'a node or pod of the lab, or "underlay"').argument('[cmd...]', 'the command (after --); default: bash')
    .action(async (lab, target, cmd) => { code = await cmdExec(lab, target, cmd); });
  program.command('list').description('the labs in labs/, with a description and whether each is up').action(async () => { code = await cmdList(); });
  program.command('clean').description('remove everything any lab left behind (only objects the harness owns)').action(async () => { code = await cmdClean(); });
  program.command('doctor').description('check root, tools and kernel features, each with the fix').action(async () => { code = await runDoctor(); });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    console.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  return code;
}
