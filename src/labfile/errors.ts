// Problems found in a lab file. Every problem names the file, the line, the field and a fix;
// validation collects all of them before failing once, so a user fixes a file in one pass.

export interface SpecProblem {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path into the lab file, e.g. "nodes[1].podCIDR". */
  field: string;
  message: string;
  fix?: string;
}

export class SpecError extends Error {
  readonly problems: SpecProblem[];
  constructor(problems: SpecProblem[]) {
    super(formatProblems(problems));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

export function formatProblem(p: SpecProblem): string {
  const where = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  const fix = p.fix ? `\n    fix: ${p.fix}` : '';
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}${fix}`;
}

export function formatProblems(problems: SpecProblem[]): string {
  const n = problems.length;
  return `${n} problem${n === 1 ? '' : 's'} in the lab file:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n');
}

/** Renders a zod-style path (["nodes", 1, "ip"]) as "nodes[1].ip". */
export function pathToField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out;
}
