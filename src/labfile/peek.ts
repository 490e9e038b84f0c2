// A quick look at a lab file without checking it: its kind (a lab, or a comparison of labs),
// name and description. `lab list`, `lab down` and the dispatch of `lab run` need no more, and
// must work even when a file is broken.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { labNameOf, resolveLabFile } from './load.js';
import { isComparisonFile } from './comparison.js';

export interface LabFileHeader {
  file: string;
  kind: 'lab' | 'comparison';
  /** The `name:` field, or the file's name when it has none or cannot be read. */
  name: string;
  description: string;
  /** Set when the file is not readable YAML. */
  unreadable?: string;
}

export async function peekLabFile(nameOrPath: string): Promise<LabFileHeader> {
  const file = resolveLabFile(nameOrPath);
  try {
    const doc = parseYaml(await readFile(file, 'utf8')) as { name?: unknown; description?: unknown } | null;
    return {
      file,
      kind: isComparisonFile(doc) ? 'comparison' : 'lab',
      name: typeof doc?.name === 'string' ? doc.name : labNameOf(file),
      description: typeof doc?.description === 'string' ? doc.description : '',
    };
  } catch (e) {
    return { file, kind: 'lab', name: labNameOf(file), description: '', unreadable: (e as Error).message.split('\n')[0] };
  }
}
