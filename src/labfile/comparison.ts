// A comparison file (labs/compare-backends.yaml): instead of a cluster it names other labs and,
// for each row, the two pods to measure between and the underlay point the traffic crosses.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { SpecError } from './errors.js';

export const comparisonSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  compare: z
    .array(
      z.strictObject({
        label: z.string(),
        lab: z.string(),
        from: z.string(),
        to: z.string(),
        /** The capture point on the underlay the traffic crosses; absent for same-node rows. */
        underlay: z.string().optional(),
      }),
    )
    .min(1),
});
export type Comparison = z.infer<typeof comparisonSchema>;
export type ComparisonRowSpec = Comparison['compare'][number];

export function isComparisonFile(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && 'compare' in doc;
}

export async function loadComparison(file: string): Promise<Comparison> {
  const parsed = comparisonSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!parsed.success) throw new SpecError(parsed.error.issues.map((i) => ({ file, field: i.path.join('.'), message: i.message })));
  return parsed.data;
}
