// `lab up <lab>`: build the lab and leave it running; `--dry-run` prints what would run.
import { renderDryRun } from '../kernel/commands.js';
import { skipReason } from '../lab/prepare.js';
import { upLab, LabAlreadyUp } from '../lab/up.js';
import { opCount } from '../plan/plan-lab.js';
import { listr, onInterrupt, overridesOf, prepare, requireRoot } from './common.js';

export async function cmdUp(labArg: string, opts: { dryRun?: boolean; kubeProxy?: string }): Promise<number> {
  if (opts.dryRun) {
    const p = await prepare(labArg, overridesOf(opts));
    process.stdout.write(renderDryRun(p.plan));
    // With a control plane, what follows is API calls, not commands: the node agents turn the
    // API's objects into namespaces, links and rules, as the dry run of a lab without one shows.
    if (p.model.controlPlane === 'kubernetes')
      process.stdout.write(
        [
          '',
          '## then, through the API server (not commands)',
          `# server-side apply of the lab file's ${p.loaded.spec.manifests.length} objects (CRDs they need first), and kubeadm's CoreDNS add-on unless the lab has kube-dns`,
          '# the controllers and the scheduler create and place pods; each node agent builds its pods (namespace, network, containers) and',
          "# syncs kube-proxy's and the policy engine's rules from the API; `lab up` returns once every pod and agent has settled",
          '',
        ].join('\n'),
      );
    const reason = skipReason(p);
    if (reason) console.error(`note: this machine would skip the lab: ${reason}`);
    return 0;
  }
  requireRoot();
  const p = await prepare(labArg, overridesOf(opts));
  const reason = skipReason(p);
  if (reason) {
    console.error(`skipped: ${reason}`);
    return 3;
  }
  const release = onInterrupt();
  let notes: string[] = [];
  try {
    await listr([
      {
        title: `Bring up ${p.model.lab}: ${p.plan.namespaces.length} namespaces, ${opCount(p.plan)} operations`,
        task: async (_c, task) => {
          notes = await upLab(p, { onStep: (t) => (task.output = t) });
        },
      },
    ]).run();
  } catch (e) {
    if (e instanceof LabAlreadyUp) {
      console.error(e.message);
      return 1;
    }
    throw e;
  } finally {
    release();
  }
  for (const n of notes) console.error(`note: ${n}`);
  const kubectl = p.model.controlPlane === 'kubernetes' ? ` | lab kubectl ${p.model.lab} -- get pods -o wide` : '';
  console.log(`lab "${p.model.lab}" is up. Next: lab test ${p.model.lab} | lab exec ${p.model.lab} <node-or-pod> -- <cmd>${kubectl} | lab down ${p.model.lab}`);
  return 0;
}
