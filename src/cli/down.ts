// `lab down <lab>`: its processes, namespaces and state; works for a lab whose file is gone.
import { downLab } from '../lab/down.js';
import { labNameFromArg, requireRoot } from './common.js';

export async function cmdDown(labArg: string): Promise<number> {
  requireRoot();
  const lab = await labNameFromArg(labArg);
  const r = await downLab(lab);
  console.log(
    r.namespaces.length === 0 && r.processes === 0
      ? `lab "${lab}" was not up; nothing to remove`
      : `lab "${lab}" is down: removed ${r.namespaces.length} namespaces, stopped ${r.processes} processes`,
  );
  return 0;
}
