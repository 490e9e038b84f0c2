// `lab list`: the labs in labs/, with their description and whether each is up.
import { listLabFiles, labNameOf } from '../labfile/load.js';
import { peekLabFile } from '../labfile/peek.js';
import { labsPresent } from '../kernel/teardown.js';

export async function cmdList(): Promise<number> {
  const up = new Set(await labsPresent());
  const rows: [string, string, string][] = [];
  for (const file of await listLabFiles()) {
    const h = await peekLabFile(file);
    rows.push([labNameOf(file), up.has(h.name) ? 'up' : '', h.unreadable ? '(unreadable YAML)' : h.description]);
  }
  const w = Math.max(...rows.map((r) => r[0].length), 4);
  console.log(`${'LAB'.padEnd(w)}  ${'STATE'.padEnd(5)}  DESCRIPTION`);
  for (const [n, s, d] of rows) console.log(`${n.padEnd(w)}  ${s.padEnd(5)}  ${d}`);
  return 0;
}
