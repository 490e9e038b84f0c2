// Reading a lab file: YAML with positions, then schema, then the cross-field rules.
// parseLab is the stage's entry point; nothing here touches the kernel.
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LABS_DIR } from '../paths.js';
import { LineCounter, parseDocument, isMap, isNode, type Document } from 'yaml';
import { labSchema, type KubeProxyMode, type LabSpec } from './schema.js';
import { SpecError, pathToField, type SpecProblem } from './errors.js';
import { validateLab, type LabObject, type PathProblem } from './validate.js';
import { parseManifest } from '../k8s/manifest.js';

export { LABS_DIR };

/** A lab file read, checked and with its Kubernetes manifests parsed into typed objects. */
export interface ParsedLab {
  spec: LabSpec;
  /** The manifests as typed objects, in file order (every manifest parsed; none has problems). */
  objects: LabObject[];
  /** Things worth a word that do not stop the lab (e.g. a policy rule the API would ignore). */
  warnings: PathProblem[];
  /** Finds the line of a field path, for problems found after parsing. */
  locate: Locator;
}

export interface LoadedLab extends ParsedLab {
  /** Absolute path of the lab file. */
  file: string;
  source: string;
}

/** Finds a lab by name (labs/<name>.yaml) or by path. */
export function resolveLabFile(nameOrPath: string): string {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml') || nameOrPath.includes('/')) {
    const p = resolve(nameOrPath);
    if (!existsSync(p)) throw new SpecError([{ file: p, field: '', message: 'no such file', fix: 'give a path to a lab YAML file or a name from `lab list`' }]);
    return p;
  }
  const p = join(LABS_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(p)) {
    throw new SpecError([
      {
        file: nameOrPath,
        field: '',
        message: `no lab named "${nameOrPath}" in ${LABS_DIR}`,
        fix: 'run `lab list` to see the labs, or give a path to a YAML file',
      },
    ]);
  }
  return p;
}

export async function listLabFiles(): Promise<string[]> {
  const names = await readdir(LABS_DIR);
  return names
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => join(LABS_DIR, n));
}

/** Positions of YAML nodes, so that a problem at a field path can name its line. */
export type Locator = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

function makeLocator(doc: Document, lc: LineCounter): Locator {
  return (path) => {
    // Walk down as far as the document goes: a missing field is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) {
        // For a missing key inside a map, point at the map's first line.
        const pos = lc.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
      if (n === 0 && isMap(doc.contents) && doc.contents.range) {
        const pos = lc.linePos(doc.contents.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
}

/** What the command line changes in a lab file as it is read (`--kube-proxy <mode>`). */
export interface LabOverrides {
  kubeProxy?: KubeProxyMode;
}

export function parseLabSource(source: string, file: string, overrides: LabOverrides = {}): ParsedLab {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          file,
          line: pos?.line,
          column: pos?.col,
          field: '',
          message: `YAML: ${e.message.split('\n')[0]}`,
          fix: 'fix the YAML syntax (indentation, quoting, a missing ":")',
        };
      }),
    );
  }
  const locate = makeLocator(doc, lc);
  const raw = doc.toJS();
  if (raw === null || typeof raw !== 'object') {
    throw new SpecError([{ file, line: 1, field: '', message: 'the lab file is empty or not a mapping', fix: 'start from labs/flannel-vxlan.yaml' }]);
  }
  const parsed = labSchema.safeParse(raw);
  if (!parsed.success) {
    const problems: SpecProblem[] = parsed.error.issues.map((issue) => {
      // An unknown key is reported at the key itself, not at the start of its parent.
      const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
      const pos = locate(keys?.length ? [...issue.path, keys[0]] : issue.path);
      return { file, line: pos?.line, column: pos?.column, field: pathToField(issue.path), message: issue.message, fix: fixForIssue(issue) };
    });
    throw new SpecError(problems);
  }
  if (overrides.kubeProxy) parsed.data.cluster.kubeProxy.mode = overrides.kubeProxy;
  // Every manifest is parsed here, once, by its kind's parser; later stages get typed objects.
  const objects: LabObject[] = [];
  const found: PathProblem[] = [];
  const warnings: PathProblem[] = [];
  parsed.data.manifests.forEach((m, index) => {
    const r = parseManifest(m);
    for (const p of r.problems) found.push({ ...p, path: ['manifests', index, ...p.path] });
    for (const w of r.warnings ?? []) warnings.push({ ...w, path: ['manifests', index, ...w.path] });
    if (r.manifest) objects.push({ index, manifest: r.manifest });
  });
  // A problem the override causes says so: the file alone does not show the mode.
  const byFlag = (p: PathProblem) =>
    overrides.kubeProxy && ((p.path[0] === 'cluster' && (p.path[1] === 'controlPlane' || p.path[1] === 'kubeProxy')) || /mode/.test(p.message))
      ? `${p.message} (kube-proxy mode ${overrides.kubeProxy} from --kube-proxy)`
      : p.message;
  const problems = [...found, ...validateLab(parsed.data, objects)].map((p) => {
    const pos = locate(p.path);
    return { file, line: pos?.line, column: pos?.column, field: pathToField(p.path), message: byFlag(p), fix: p.fix };
  });
  if (problems.length > 0) throw new SpecError(problems);
  return { spec: forKubeProxyMode(parsed.data), objects, warnings, locate };
}

/** The lab's expectations with the chain and state checks of other kube-proxy modes left out
 * (checked above in full: a mistake in another mode's check is still reported). */
function forKubeProxyMode(spec: LabSpec): LabSpec {
  const mode = spec.cluster.kubeProxy.mode;
  const applies = (c: { kubeProxy?: string }) => c.kubeProxy === undefined || c.kubeProxy === mode;
  return { ...spec, expectations: spec.expectations.map((e) => ({ ...e, chains: e.chains.filter(applies), state: e.state.filter(applies) })) };
}

/** Turns problems found by later stages (with lab-file paths) into a located SpecError. */
export function locatedError(file: string, locate: Locator, problems: { path: (string | number)[]; message: string; fix?: string }[]): SpecError {
  return new SpecError(
    problems.map((p) => {
      const pos = locate(p.path);
      return { file, line: pos?.line, column: pos?.column, field: pathToField(p.path), message: p.message, fix: p.fix };
    }),
  );
}

function fixForIssue(issue: { code: string; path: PropertyKey[]; keys?: string[]; expected?: unknown }): string | undefined {
  if (issue.code === 'unrecognized_keys')
    return `remove or rename ${issue.keys?.map((k) => `"${k}"`).join(', ')}; see labs/flannel-vxlan.yaml for the fields a lab file has`;
  if (issue.code === 'invalid_type' && issue.expected) return `give a value of type ${String(issue.expected)}`;
  return undefined;
}

export async function parseLab(nameOrPath: string, overrides: LabOverrides = {}): Promise<LoadedLab> {
  const file = resolveLabFile(nameOrPath);
  const source = await readFile(file, 'utf8');
  return { ...parseLabSource(source, file, overrides), file, source };
}

export function labNameOf(file: string): string {
  return basename(file).replace(/\.ya?ml$/, '');
}
