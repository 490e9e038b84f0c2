// prepareLab: everything that can be known without touching the kernel (lab file -> typed
// objects -> model -> plan), with every problem located in the lab file.
import { createHash } from 'node:crypto';
import { parseLab, locatedError, type LabOverrides, type LoadedLab } from '../labfile/load.js';
import { formatProblem, type SpecProblem } from '../labfile/errors.js';
import { hopPoints, type ExpectationSpec } from '../labfile/schema.js';
import { IFNAMSIZ, type PathProblem } from '../labfile/validate.js';
import { resolveModel, ModelProblems } from '../model/resolve.js';
import type { ClusterModel } from '../model/types.js';
import { planLab } from '../plan/plan-lab.js';
import type { Plan } from '../plan/types.js';
import { cniBackend } from '../plan/cni/registry.js';
import type { CniBackend } from '../plan/cni/types.js';
import { checkContainers } from '../plan/workloads/images.js';
import { kubeProxyRequires } from '../plan/proxy/registry.js';
import { KUBELET_IPTABLES_REQUIRES } from '../plan/kubelet-iptables.js';
import { missingFeatures, FEATURES } from '../kernel/features.js';

export interface PreparedLab {
  loaded: LoadedLab;
  model: ClusterModel;
  plan: Plan;
  cni: CniBackend;
  digest: string;
  /** Kernel features the lab needs, as CONFIG_ names. */
  requires: string[];
  /** Kernel features the lab needs and this kernel lacks: the lab is skipped. */
  missing: string[];
  /** Located warnings (e.g. a selector that matches no pod): shown, never fatal. */
  warnings: SpecProblem[];
  /** What the command line changed in the lab file (recorded in the lab's state by `lab up`). */
  overrides?: LabOverrides;
}

/** Throws a located SpecError for anything wrong with the lab file. */
export async function prepareLab(nameOrPath: string, overrides: LabOverrides = {}): Promise<PreparedLab> {
  return prepareLoaded(await parseLab(nameOrPath, overrides), overrides);
}

/** The same, for a lab file already read (an exercise's lab, renamed). */
export function prepareLoaded(loaded: LoadedLab, overrides: LabOverrides = {}): PreparedLab {
  const { spec, file, locate } = loaded;
  let model: ClusterModel;
  try {
    model = resolveModel(loaded);
  } catch (e) {
    if (e instanceof ModelProblems) throw locatedError(file, locate, e.problems);
    throw e;
  }
  // Containers first: planning their processes needs a runnable image.
  const manifestIndex = (pod: { name: string }) => spec.manifests.findIndex((m) => m.metadata.name === pod.name);
  const containerProblems = checkContainers(model, manifestIndex);
  if (containerProblems.length > 0) throw locatedError(file, locate, containerProblems);
  const cni = cniBackend(model.network.cni);
  const plan = planLab(model);
  const problems: PathProblem[] = checkHopInterfaces(spec.expectations, plan);
  if (problems.length > 0) throw locatedError(file, locate, problems);
  const digest = createHash('sha256').update(loaded.source).digest('hex');
  const policyCount = model.networkPolicies.length;
  const extra =
    policyCount > 0 && !cni.enforcesPolicy
      ? [
          {
            path: ['cluster', 'cni'],
            message: `${cni.kind} does not enforce NetworkPolicy: the ${policyCount} polic${policyCount === 1 ? 'y is' : 'ies are'} accepted but not enforced (seed 004: "Network Policies require CNI support")`,
            fix: 'use cni: canal (flannel + policy) or calico-bgp to enforce them',
          },
        ]
      : [];
  const warnings = locatedError(file, locate, [...loaded.warnings, ...model.warnings, ...extra]).problems;
  const requires = [
    ...new Set([...cni.requires, ...KUBELET_IPTABLES_REQUIRES, ...kubeProxyRequires(model), ...(model.underlay.netem ? ['CONFIG_NET_SCH_NETEM'] : [])]),
  ];
  return { loaded, model, plan, cni, digest, requires, missing: missingFeatures(requires), warnings, overrides };
}

/** Every hop names an interface the plan creates in that namespace. */
function checkHopInterfaces(expectations: ExpectationSpec[], plan: Plan): PathProblem[] {
  const problems: PathProblem[] = [];
  expectations.forEach((e, i) =>
    e.hops.forEach((h, j) => {
      for (const at of hopPoints(h)) {
        const [where, dev] = at.split('/');
        const ns = plan.namespaces.find((n) => n.name === where);
        if (!ns || dev.length >= IFNAMSIZ) continue; // reported by validation
        if (!ns.interfaces.includes(dev)) {
          problems.push({
            path: ['expectations', i, 'hops', j, 'at'],
            message: `${where} has no interface "${dev}"`,
            fix: `use one of: ${ns.interfaces.join(', ')}`,
          });
        }
      }
    }),
  );
  return problems;
}

export function formatWarnings(p: PreparedLab): string[] {
  return p.warnings.map((w) => `warning: ${formatProblem(w)}`);
}

export function skipReason(p: Pick<PreparedLab, 'missing'>): string | undefined {
  if (p.missing.length === 0) return undefined;
  return `kernel lacks ${p.missing.join(', ')} (${p.missing.map((m) => FEATURES[m]?.what ?? m).join('; ')})`;
}
