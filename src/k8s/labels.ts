// Label syntax and metav1.LabelSelector from a manifest, checked as the API server checks them:
// k8s.io/apimachinery pkg/util/validation (IsQualifiedName, IsValidLabelValue) and
// pkg/apis/meta/v1/validation ValidateLabelSelector (operators, values required for In/NotIn and
// forbidden for Exists/DoesNotExist). Shared by every kind that selects pods or namespaces.
import { DNS1123_SUBDOMAIN_RE } from './names.js';
import { SELECTOR_OPERATORS, type LabelSelector, type LabelSelectorRequirement, type SelectorOperator } from './network-policy-types.js';
import { isObj, type Path, type WalkCtx } from './walk.js';

// ---- label syntax (k8s.io/apimachinery/pkg/util/validation) ------------------------------------

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** IsQualifiedName: [prefix/]name, prefix a DNS subdomain, name at most 63 characters. */
export function qualifiedNameError(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a qualified name has at most one "/"';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) return 'the prefix before "/" must not be empty';
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN_RE.test(prefix)) return `prefix "${prefix}" must be a DNS subdomain (lowercase letters, digits, "-" and ".")`;
  }
  if (name.length === 0) return 'the name part must not be empty';
  if (name.length > 63) return 'the name part must be at most 63 characters';
  if (!QUALIFIED_NAME_PART.test(name)) return 'the name part must be letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  return undefined;
}

/** IsValidLabelValue: empty, or at most 63 characters of the qualified-name alphabet. */
export function labelValueError(value: string): string | undefined {
  if (value.length > 63) return 'a label value must be at most 63 characters';
  if (!LABEL_VALUE.test(value)) return 'a label value must be empty or letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  return undefined;
}

// ---- label selectors (ValidateLabelSelector) --------------------------------------------------

export function parseLabelSelector(raw: unknown, path: Path, ctx: WalkCtx): LabelSelector {
  const sel: LabelSelector = { matchLabels: {}, matchExpressions: [] };
  if (raw === undefined || raw === null) return sel;
  if (!isObj(raw)) {
    ctx.problem(path, 'a label selector must be a mapping', 'e.g. {matchLabels: {app: web}} or {} for everything');
    return sel;
  }
  ctx.known(raw, path, ['matchLabels', 'matchExpressions']);
  if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    if (!isObj(raw.matchLabels)) ctx.problem([...path, 'matchLabels'], 'matchLabels must map label keys to values');
    else {
      for (const [k, v] of Object.entries(raw.matchLabels)) {
        const kp = [...path, 'matchLabels', k];
        const keyErr = qualifiedNameError(k);
        if (keyErr) ctx.problem(kp, `invalid label key "${k}": ${keyErr}`);
        if (typeof v !== 'string') {
          ctx.problem(kp, 'a label value must be a string', typeof v === 'number' || typeof v === 'boolean' ? `quote it: "${String(v)}"` : undefined);
          continue;
        }
        const valErr = labelValueError(v);
        if (valErr) ctx.problem(kp, `invalid label value "${v}": ${valErr}`);
        sel.matchLabels[k] = v;
      }
    }
  }
  const exprs = ctx.list(raw.matchExpressions, [...path, 'matchExpressions']) ?? [];
  exprs.forEach((e, i) => {
    const ep = [...path, 'matchExpressions', i];
    if (!isObj(e)) {
      ctx.problem(ep, 'a match expression must be a mapping with key, operator and values');
      return;
    }
    ctx.known(e, ep, ['key', 'operator', 'values']);
    const key = typeof e.key === 'string' ? e.key : '';
    if (typeof e.key !== 'string' || e.key === '') ctx.problem([...ep, 'key'], 'key is required');
    else {
      const keyErr = qualifiedNameError(key);
      if (keyErr) ctx.problem([...ep, 'key'], `invalid label key "${key}": ${keyErr}`);
    }
    const op = e.operator;
    if (typeof op !== 'string' || !SELECTOR_OPERATORS.includes(op as SelectorOperator)) {
      const lower = typeof op === 'string' ? SELECTOR_OPERATORS.find((o) => o.toLowerCase() === op.toLowerCase()) : undefined;
      ctx.problem(
        [...ep, 'operator'],
        `"${String(op)}" is not a valid selector operator`,
        lower ? `operators are case-sensitive: write ${lower}` : `use one of: ${SELECTOR_OPERATORS.join(', ')}`,
      );
      return;
    }
    const valuesRaw = ctx.list(e.values, [...ep, 'values']) ?? [];
    const values: string[] = [];
    valuesRaw.forEach((v, j) => {
      if (typeof v !== 'string') {
        ctx.problem([...ep, 'values', j], 'values must be strings', `quote it: "${String(v)}"`);
        return;
      }
      const valErr = labelValueError(v);
      if (valErr) ctx.problem([...ep, 'values', j], `invalid label value "${v}": ${valErr}`);
      values.push(v);
    });
    if ((op === 'In' || op === 'NotIn') && valuesRaw.length === 0) {
      ctx.problem([...ep, 'values'], `values must be non-empty when operator is ${op}`, 'list at least one value, or use Exists/DoesNotExist');
    }
    if ((op === 'Exists' || op === 'DoesNotExist') && valuesRaw.length > 0) {
      ctx.problem([...ep, 'values'], `values must be empty when operator is ${op}`, 'drop values, or use In/NotIn');
    }
    const req: LabelSelectorRequirement = { key, operator: op as SelectorOperator, values };
    sel.matchExpressions.push(req);
  });
  return sel;
}
