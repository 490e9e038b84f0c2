// Walking a parsed manifest as the API server checks it: problems and warnings with paths relative
// to the manifest (like src/k8s/manifest.ts), unknown fields refused as kubectl's default strict
// field validation refuses them, list fields checked. Used by the NetworkPolicy parser.
import type { PolicyProblem } from './network-policy-types.js';

export type Path = (string | number)[];

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class WalkCtx {
  problems: PolicyProblem[] = [];
  warnings: PolicyProblem[] = [];
  problem(path: Path, message: string, fix?: string): void {
    this.problems.push(fix === undefined ? { path, message } : { path, message, fix });
  }
  warn(path: Path, message: string, fix?: string): void {
    this.warnings.push(fix === undefined ? { path, message } : { path, message, fix });
  }
  /** Strict field validation: every key must be a known field. */
  known(obj: Record<string, unknown>, path: Path, fields: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!fields.includes(k)) this.problem([...path, k], `unknown field "${k}"`, `known fields here: ${fields.join(', ')}`);
    }
  }
  /** A list field: undefined and null are absent; anything else must be a list. */
  list(v: unknown, path: Path): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.problem(path, 'must be a list');
      return undefined;
    }
    return v;
  }
}
