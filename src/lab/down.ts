// downLab: stop the lab's processes, delete its namespaces and state (kernel/teardown.ts).
import { teardownLab, type TeardownResult } from '../kernel/teardown.js';

export async function downLab(lab: string): Promise<TeardownResult> {
  return teardownLab(lab);
}
