// A training exercise: a lab (one of labs/, or a path) plus what breaks it, what the learner is
// told, the hints, which of the lab's expectations grade the fix, and the fix. Read with positions
// like a lab file; every problem names the exercise file, line, field and fix. The lab runs under
// the exercise's own name (its namespaces are wl-<exercise>.<name>), so an exercise and its lab
// never collide.
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { EXERCISES_DIR } from '../paths.js';
import { NAME_RE } from './schema.js';
import { SpecError, pathToField, type SpecProblem } from './errors.js';
import { parseLabSource, resolveLabFile, type LoadedLab } from './load.js';

const target = z.string().regex(NAME_RE, 'must name a node, a pod or "underlay" of the lab');
const ifname = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'must be an interface name (at most 15 characters)');
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR like 10.8.1.0/24');

/** One change to the lab: a fault, or a step of the solution. Declarative: plan/faults.ts turns
 * each into kernel operations, a kubectl call or a process to stop or start. */
export const actionSchema = z.union([
  /** kubectl as the lab's admin, written as typed (split like a lab file's kubectl steps, never
   * given to a shell); `stdin` is what it reads (a manifest for `apply -f -`). */
  z.strictObject({ kubectl: z.string().min(1), stdin: z.string().optional() }),
  /** Delete the route the pod network installed toward `to` on a node, or put it back. */
  z.strictObject({ route: z.strictObject({ on: target, to: cidr, delete: z.boolean().default(false) }) }),
  /** Delete the VXLAN forwarding entry toward a peer node on a node, or put it back. */
  z.strictObject({ fdb: z.strictObject({ on: target, peer: target, delete: z.boolean().default(false) }) }),
  /** Set a device down or up. */
  z.strictObject({ link: z.strictObject({ on: target, dev: ifname, state: z.enum(['up', 'down']) }) }),
  /** Change a device's MTU. */
  z.strictObject({ mtu: z.strictObject({ on: target, dev: ifname, mtu: z.number().int().min(68).max(65535) }) }),
  /** Delete one iptables rule (as iptables-save prints it, without -A), or add it back. */
  z.strictObject({ iptables: z.strictObject({ on: target, table: z.enum(['filter', 'nat', 'mangle', 'raw']), rule: z.string().min(1), delete: z.boolean() }) }),
  /** Latency or loss on a device (needs CONFIG_NET_SCH_NETEM), or remove it. */
  z.strictObject({
    netem: z.strictObject({
      on: target,
      dev: ifname,
      delayMs: z.number().int().min(0).optional(),
      lossPercent: z.number().min(0).max(100).optional(),
      remove: z.boolean().default(false),
    }),
  }),
  /** Replace a generated kubernetes.io/tls Secret's certificate with a new one for these host
   * names, issued by the certificate the lab generated (the one its clients trust), so a client
   * sees a trusted certificate that names other hosts, or the right ones again. */
  z.strictObject({
    tls: z.strictObject({
      secret: z.string().regex(NAME_RE, 'must name a Secret of the lab'),
      namespace: z.string().regex(NAME_RE, 'must be a namespace name').default('default'),
      hosts: z.array(z.string().regex(/^[A-Za-z0-9*][A-Za-z0-9.*-]*$/, 'must be a DNS name')).min(1, 'name at least one host'),
    }),
  }),
  /** Stop or start one of the lab's processes by its name ("w2/bird", "<pod>/<container>"). */
  z.strictObject({ stop: z.string().min(1) }),
  z.strictObject({ start: z.string().min(1) }),
]);
export type ExerciseAction = z.infer<typeof actionSchema>;

export const exerciseSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'must be lowercase letters, digits and "-"').max(30, 'must be at most 30 characters (it names the namespaces)'),
  /** The lab it breaks: a name from labs/ or a path relative to the exercise file. */
  lab: z.string().min(1),
  /** The seed line it comes from: "<seed file>: <quoted line>". */
  seed: z.string().min(1),
  /** What the learner is told, as a ticket. */
  task: z.string().min(1),
  /** The first commands worth trying ({lab} is the exercise's lab name). */
  try: z.array(z.string().min(1)).default([]),
  faults: z.array(actionSchema).min(1, 'an exercise needs at least one fault'),
  hints: z.array(z.string().min(1)).min(1, 'an exercise needs at least one hint'),
  /** Names of the lab's expectations or truth tables that grade the fix. */
  check: z.array(z.string().min(1)).min(1, 'name at least one expectation of the lab that the fault breaks'),
  solution: z.strictObject({ explain: z.string().min(1), steps: z.array(actionSchema).min(1) }),
});
export type ExerciseSpec = z.infer<typeof exerciseSchema>;

export interface LoadedExercise {
  spec: ExerciseSpec;
  file: string;
  /** The lab, renamed to the exercise. */
  lab: LoadedLab;
  /** A problem at a field of the exercise file, located. */
  problem: (path: readonly PropertyKey[], message: string, fix?: string) => SpecProblem;
}

function located(
  file: string,
  lc: LineCounter,
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
  message: string,
  fix?: string,
): SpecProblem {
  let pos: { line: number; col: number } | undefined;
  for (let n = path.length; n >= 0 && !pos; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) pos = lc.linePos(node.range[0]);
  }
  return { file, line: pos?.line, column: pos?.col, field: pathToField(path), message, fix };
}

export function resolveExerciseFile(nameOrPath: string): string {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')) return resolve(nameOrPath);
  return join(EXERCISES_DIR, `${nameOrPath}.yaml`);
}

/** The lab's text with its `name:` line replaced: every other line keeps its number, so the lab's
 * own problems still point at the right line of the lab file. */
export function renameLab(source: string, name: string): string {
  return source.replace(/^name:.*$/m, `name: ${name}`);
}

export function parseExerciseSource(
  source: string,
  file: string,
): { spec: ExerciseSpec; problems: (path: readonly PropertyKey[], m: string, fix?: string) => SpecProblem } {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new SpecError([{ file, line: pos?.line, column: pos?.col, field: '', message: `YAML: ${e.message.split('\n')[0]}`, fix: 'fix the YAML syntax' }]);
  }
  const at = (path: readonly PropertyKey[], m: string, fix?: string) => located(file, lc, doc, path, m, fix);
  const parsed = exerciseSchema.safeParse(doc.toJS());
  if (!parsed.success)
    throw new SpecError(
      parsed.error.issues.map((i) =>
        at(
          i.path,
          i.message,
          i.code === 'invalid_union'
            ? 'an action is one of: kubectl, route, fdb, link, mtu, iptables, netem, tls, stop, start'
            : 'see exercises/selector-typo.yaml',
        ),
      ),
    );
  return { spec: parsed.data, problems: at };
}

/** Reads an exercise and its lab; refuses one whose check names nothing of the lab. */
export async function loadExercise(nameOrPath: string): Promise<LoadedExercise> {
  const file = resolveExerciseFile(nameOrPath);
  if (!existsSync(file))
    throw new SpecError([
      { file: nameOrPath, field: '', message: `no exercise named "${nameOrPath}" in ${EXERCISES_DIR}`, fix: 'run `lab exercise list` to see them' },
    ]);
  const { spec, problems: at } = parseExerciseSource(await readFile(file, 'utf8'), file);
  let labFile: string;
  try {
    labFile = resolveLabFile(spec.lab.includes('/') ? resolve(dirname(file), spec.lab) : spec.lab);
  } catch {
    throw new SpecError([at(['lab'], `no lab "${spec.lab}"`, 'name a lab from `lab list` or a path relative to the exercise file')]);
  }
  const source = renameLab(await readFile(labFile, 'utf8'), spec.name);
  const lab: LoadedLab = { ...parseLabSource(source, labFile), file: labFile, source };
  const names = new Set([...lab.spec.expectations.map((e) => e.name), ...lab.spec.reachability.map((r) => r.name)]);
  const missing = spec.check.map((c, i) => ({ c, i })).filter(({ c }) => !names.has(c));
  if (missing.length > 0)
    throw new SpecError(
      missing.map(({ c, i }) =>
        at(
          ['check', i],
          `the lab ${spec.lab} has no expectation or truth table named "${c}": this check could never fail`,
          `use one of: ${[...names].map((n) => JSON.stringify(n)).join(', ')}`,
        ),
      ),
    );
  return { spec, file, lab, problem: at };
}

export async function listExerciseFiles(): Promise<string[]> {
  if (!existsSync(EXERCISES_DIR)) return [];
  return (await readdir(EXERCISES_DIR))
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => join(EXERCISES_DIR, n));
}
