// `lab clean`: whatever any lab left behind (only namespaces and processes the harness owns).
import { cleanAll } from '../kernel/teardown.js';
import { requireRoot } from './common.js';

export async function cmdClean(): Promise<number> {
  requireRoot();
  const r = await cleanAll();
  console.log(
    r.namespaces.length === 0 && r.processes === 0
      ? 'nothing of any lab was left on this machine'
      : `removed ${r.namespaces.length} namespaces (${r.namespaces.join(', ')}) and stopped ${r.processes} processes`,
  );
  return 0;
}
