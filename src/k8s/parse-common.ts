// Plumbing shared by the Ingress (ingress.ts) and Gateway API (gateway.ts) parsers: metadata
// (name a DNS subdomain, namespace a DNS-1123 label), apiVersion/kind, Zod issues as problems.
import { z } from 'zod';
import type { IngressProblem } from './ingress-types.js';
import { DNS1123_LABEL_RE, dnsSubdomainError } from './names.js';
import { isObj, type Path } from './walk.js';

// ---- shared plumbing ---------------------------------------------------------------------------

/** Zod issues as problems: "Required value" for a missing field, the unknown key in the path. */
export function zodProblems(err: z.ZodError, base: Path): IngressProblem[] {
  return err.issues.map((i) => {
    const path = [...base, ...(i.path as Path)];
    if (i.code === 'unrecognized_keys') {
      return { path: [...path, i.keys[0]], message: `unknown field "${i.keys.join('", "')}"`, fix: 'remove it or check its spelling and indentation' };
    }
    if (i.code === 'invalid_type' && i.message.endsWith('received undefined')) return { path, message: 'Required value' };
    return { path, message: i.message };
  });
}

interface Meta {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
}

const metadataSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export function parseMeta(m: unknown, problems: IngressProblem[], namespaced = true): Meta | undefined {
  if (!isObj(m)) {
    problems.push({ path: [], message: 'a manifest must be a mapping' });
    return undefined;
  }
  const parsed = metadataSchema.safeParse(m.metadata);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, ['metadata']));
    return undefined;
  }
  const md = parsed.data;
  const nameErr = dnsSubdomainError(md.name);
  if (nameErr) problems.push({ path: ['metadata', 'name'], message: nameErr });
  const namespace = md.namespace ?? 'default';
  if (namespaced && (namespace.length > 63 || !DNS1123_LABEL_RE.test(namespace)))
    problems.push({ path: ['metadata', 'namespace'], message: 'a namespace must be a DNS-1123 label' });
  return { name: md.name, namespace: namespaced ? namespace : '', annotations: md.annotations ?? {} };
}

export function checkKind(m: unknown, apiVersion: string, kind: string, problems: IngressProblem[]): void {
  if (!isObj(m)) return;
  if (m.apiVersion !== undefined && m.apiVersion !== apiVersion)
    problems.push({
      path: ['apiVersion'],
      message: `expected apiVersion ${apiVersion} for a ${kind}, got ${String(m.apiVersion)}`,
      fix: `use apiVersion: ${apiVersion}`,
    });
  if (m.kind !== undefined && m.kind !== kind) problems.push({ path: ['kind'], message: `expected kind ${kind}, got ${String(m.kind)}` });
}
