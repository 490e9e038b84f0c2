// The `lab` command. Verbs: run, up, test, down, exec, kubectl, env, list, graph, clean, doctor; one module each,
// loaded only when its verb runs, so `lab --help` and `lab exec` start fast.
// `lab <name>` (and `npm run lab <name>`) means `lab run <name>`.
// Exit codes: 0 all expectations passed; 1 an expectation failed or an operation failed;
// 2 the lab file or the command line is wrong; 3 the lab was skipped (kernel lacks a feature);
// 130 interrupted (after teardown).
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-code.js';

const VERBS = ['run', 'up', 'test', 'down', 'exec', 'kubectl', 'env', 'list', 'graph', 'clean', 'doctor', 'help', 'exercise', 'check', 'hint', 'solve'];

/** `lab exec <lab> <target> [-- cmd...]` with a plain lab name skips the option parser. */
async function fastExec(argv: string[]): Promise<number | undefined> {
  if (argv[0] !== 'exec' || argv.length < 3 || argv[1].startsWith('-') || argv[2].startsWith('-')) return undefined;
  if (argv.length > 3 && argv[3] !== '--') return undefined;
  const { cmdExec, LAB_NAME_RE } = await import('./exec.js');
  if (!LAB_NAME_RE.test(argv[1])) return undefined;
  return cmdExec(argv[1], argv[2], argv.slice(4));
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length > 0 && !argv[0].startsWith('-') && !VERBS.includes(argv[0])) argv = ['run', ...argv];
  const fast = await fastExec(argv);
  if (fast !== undefined) return fast;
  let code = 0;
  const program = new Command('lab')
    .description('wirelab: Kubernetes networking on real Linux kernel state, checked packet by packet')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      "\nExamples:\n  sudo npm run lab flannel-vxlan          # up, test, down\n  sudo lab run flannel-vxlan --out out/   # with report.html, report.json, junit.xml, capture.pcapng, pcaps/\n  lab graph flannel-vxlan                 # its topology as Mermaid (--format dot|svg)\n  sudo lab up flannel-vxlan && sudo lab exec flannel-vxlan pod-a -- ping -c1 10.8.1.10\n  sudo lab up kubectl-expose && sudo lab kubectl kubectl-expose -- get pods -o wide\n  sudo lab run clusterip-ipvs --kernel debian   # under Debian's stock kernel, in a VM\n\nExit codes: 0 passed, 1 failed, 2 bad lab file or arguments, 3 skipped (kernel lacks a feature), 130 interrupted.",
    );
  const labArg = '<lab>';
  const labHelp = 'a lab name from labs/ (see `lab list`) or a path to a lab YAML file';
  const outHelp = 'write report.html, report.json, junit.xml, capture.pcapng and pcaps/<namespace>_<interface>.pcap';
  const kubeProxyHelp =
    "run kube-proxy in this mode instead of the lab file's cluster.kubeProxy.mode: iptables, nftables, ipvs or none (chain and state checks marked with another kubeProxy mode are left out)";
  const kernelHelp = 'run the lab in a VM booted from another kernel: "debian" (Debian\'s stock kernel, fetched once with apt) or the path of a vmlinuz';
  program
    .command('run')
    .description('bring a lab up, run its expectations, tear it down')
    .argument(labArg, labHelp)
    .option('--keep', 'leave the lab up afterwards (tear down later with `lab down`)')
    .option('--out <dir>', outHelp)
    .option('--kube-proxy <mode>', kubeProxyHelp)
    .option('--kernel <kernel>', kernelHelp)
    .option('--kernel-modules <dir>', 'with --kernel <vmlinuz>: its modules directory (default: found next to it or in /lib/modules)')
    .action(async (lab, opts) => {
      code = opts.kernel ? await (await import('./vm.js')).cmdRunInVm(lab, opts) : await (await import('./run.js')).cmdRun(lab, opts);
    });
  program
    .command('up')
    .description('bring a lab up and leave it running')
    .argument(labArg, labHelp)
    .option('--dry-run', 'print every command it would run; change nothing (no root needed)')
    .option('--kube-proxy <mode>', `${kubeProxyHelp}; recorded, so \`lab test\` runs in the same mode`)
    .action(async (lab, opts) => {
      code = await (await import('./up.js')).cmdUp(lab, opts);
    });
  program
    .command('test')
    .description("run a lab's expectations against the lab that is up")
    .argument(labArg, labHelp)
    .option('--out <dir>', outHelp)
    .option('--kube-proxy <mode>', 'with --kernel: as for `lab run`; otherwise the lab is tested in the mode `lab up` recorded')
    .option('--kernel <kernel>', `${kernelHelp}; the lab is brought up and down around the test, since it lives only as long as its VM`)
    .option('--kernel-modules <dir>', 'with --kernel <vmlinuz>: its modules directory')
    .action(async (lab, opts) => {
      code = opts.kernel ? await (await import('./vm.js')).cmdRunInVm(lab, opts) : await (await import('./test.js')).cmdTest(lab, opts);
    });
  program
    .command('down')
    .description('tear a lab down: its processes, namespaces and state')
    .argument(labArg, labHelp)
    .action(async (lab) => {
      code = await (await import('./down.js')).cmdDown(lab);
    });
  program
    .command('exec')
    .description("run a command inside a node's or pod's network namespace (like kubectl exec)")
    .argument(labArg, labHelp)
    .argument('<node-or-pod>', 'a node or pod of the lab, or "underlay"')
    .argument('[cmd...]', 'the command (after --); default: bash')
    .action(async (lab, target, cmd) => {
      const { labNameFromArg } = await import('./common.js');
      code = await (await import('./exec.js')).cmdExec(await labNameFromArg(lab), target, cmd);
    });
  program
    .command('kubectl')
    .description("kubectl against a lab's API server, as its admin (labs with a control plane)")
    .argument(labArg, labHelp)
    .argument('[args...]', "kubectl's arguments (after --), e.g. -- get pods -o wide")
    .allowUnknownOption()
    .action(async (lab, args) => {
      code = await (await import('./kubectl.js')).cmdKubectl(lab, args);
    });
  program
    .command('env')
    .description('print `export KUBECONFIG=...` (and PATH for the kubectl setup built) for a shell: eval "$(sudo lab env <lab>)"')
    .argument(labArg, labHelp)
    .action(async (lab) => {
      code = await (await import('./kubectl.js')).cmdEnv(lab);
    });
  program
    .command('list')
    .description('the labs in labs/, with a description and whether each is up')
    .action(async () => {
      code = await (await import('./list.js')).cmdList();
    });
  program
    .command('graph')
    .description("draw a lab's topology without running it: Mermaid (default), DOT or SVG on stdout")
    .argument(labArg, labHelp)
    .option('--format <format>', 'mermaid (pastes into GitHub Markdown), dot (Graphviz) or svg (laid out by Graphviz)', 'mermaid')
    .action(async (lab, opts) => {
      code = await (await import('./graph.js')).cmdGraph(lab, opts);
    });
  program
    .command('clean')
    .description('remove everything any lab left behind (only objects the harness owns)')
    .action(async () => {
      code = await (await import('./clean.js')).cmdClean();
    });
  program
    .command('doctor')
    .description('check root, tools and kernel features, each with the fix')
    .option('--kernel <kernel>', 'list the features of that kernel instead ("debian" or a vmlinuz) and which labs it runs')
    .option('--kernel-modules <dir>', 'with --kernel <vmlinuz>: its modules directory')
    .action(async (opts) => {
      code = opts.kernel ? await (await import('./vm.js')).cmdDoctorKernel(opts.kernel, opts.kernelModules) : await (await import('./doctor.js')).runDoctor();
    });
  // Training exercises (cli/exercise.ts): a lab broken on purpose, a task, hints and a grader.
  const exerciseArg = '<exercise>';
  const exerciseHelp = 'an exercise name from exercises/ (see `lab exercise list`) or a path to an exercise YAML file';
  const exercise = program.command('exercise').description('training exercises: a lab broken on purpose, a task, hints and a grader');
  exercise
    .command('list')
    .description('the exercises in exercises/, with the lab each breaks and its task')
    .action(async () => {
      code = await (await import('./exercise.js')).cmdExerciseList();
    });
  exercise
    .command('start')
    .description('bring the lab up, check it is healthy, apply the faults, check it is broken, print the task')
    .argument(exerciseArg, exerciseHelp)
    .action(async (name) => {
      code = await (await import('./exercise.js')).cmdExerciseStart(name);
    });
  exercise
    .command('reset')
    .description('tear the exercise down and start it again, broken')
    .argument(exerciseArg, exerciseHelp)
    .action(async (name) => {
      code = await (await import('./exercise.js')).cmdExerciseReset(name);
    });
  const checkOut = 'where to write report.html and the captures (default: the lab state directory, check/)';
  program
    .command('check')
    .description("grade a started exercise: its checks, and where each failing one's traffic died")
    .argument(exerciseArg, exerciseHelp)
    .option('--out <dir>', checkOut)
    .action(async (name, opts) => {
      code = await (await import('./exercise.js')).cmdCheck(name, opts);
    });
  program
    .command('hint')
    .description("the exercise's next hint (remembered between calls)")
    .argument(exerciseArg, exerciseHelp)
    .action(async (name) => {
      code = await (await import('./exercise.js')).cmdHint(name);
    });
  program
    .command('solve')
    .description("apply the exercise's solution, show it, and check")
    .argument(exerciseArg, exerciseHelp)
    .option('--out <dir>', checkOut)
    .action(async (name, opts) => {
      code = await (await import('./exercise.js')).cmdSolve(name, opts);
    });
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
