// Label and field selectors as the API server reads them from ?labelSelector= and
// ?fieldSelector=. Labels: the full grammar (=, ==, !=, in, notin, exists, !key). Fields:
// =, ==, != on any dotted path; a path an object does not have is ignored (the real server
// would refuse unsupported fields, we stay permissive so no client breaks).
import type { K8sObject } from './objects.js';

export type ObjectPredicate = (o: K8sObject) => boolean;

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

type LabelRequirement = (labels: Record<string, string>) => boolean;

function parseLabelRequirement(req: string): LabelRequirement {
  let m: RegExpMatchArray | null;
  if ((m = req.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
    const [, key, op, list] = m;
    const values = new Set(
      list
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    );
    return op === 'in' ? (l) => key in l && values.has(l[key]) : (l) => !(key in l) || !values.has(l[key]);
  }
  if ((m = req.match(/^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
    const [, key, op, value] = m;
    return op === '!=' ? (l) => l[key] !== value : (l) => key in l && l[key] === value;
  }
  if ((m = req.match(/^!\s*([^\s!=(),]+)$/))) {
    const key = m[1];
    return (l) => !(key in l);
  }
  if ((m = req.match(/^([^\s!=(),]+)$/))) {
    const key = m[1];
    return (l) => key in l;
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(req)}`);
}

/** A predicate for ?labelSelector=; "" or undefined selects everything. Throws SelectorError. */
export function parseLabelSelector(selector: string | undefined): ObjectPredicate {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map(parseLabelRequirement);
  return (o) => {
    const labels = o.metadata.labels ?? {};
    return reqs.every((r) => r(labels));
  };
}

function fieldValue(o: K8sObject, path: string): string | undefined {
  // metadata.namespace of a cluster-scoped object is "" to the real server.
  if (path === 'metadata.namespace') return o.metadata.namespace ?? '';
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  if (typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return undefined;
}

/** A predicate for ?fieldSelector=; requirements on fields an object lacks are ignored. */
export function parseFieldSelector(selector: string | undefined): ObjectPredicate {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map((req) => {
    const m = req.match(/^([^\s!=,]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(`invalid field selector requirement: ${JSON.stringify(req)}`);
    const [, path, op, value] = m;
    return (o: K8sObject) => {
      const v = fieldValue(o, path);
      if (v === undefined) return true;
      return op === '!=' ? v !== value : v === value;
    };
  });
  return (o) => reqs.every((r) => r(o));
}
