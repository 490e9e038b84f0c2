// The cluster as one node's agent sees it, read from a lab's API server: the Services,
// EndpointSlices, Nodes ... the node agents watch, over the lab model the agent was started with.
// The differential tests render wirelab's kube-proxy rules from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient } from '../../src/lab/cluster-api.js';
import { modelFromApi, type ApiSnapshot } from '../../src/model/from-api.js';
import { labStateDir } from '../../src/model/names.js';
import { WATCHED } from '../../src/agent/watched.js';
import { agentConfigPath } from '../../src/plan/control-plane/plan.js';
import type { ClusterModel } from '../../src/model/types.js';

export async function liveModel(lab: string, node: string): Promise<ClusterModel> {
  const client = adminClient(lab);
  const snap: Record<string, unknown[]> = {};
  for (const [kind, path] of Object.entries(WATCHED)) snap[kind] = (await client.list(path)).items;
  const config = JSON.parse(readFileSync(join(labStateDir(lab), agentConfigPath(node)), 'utf8')) as { model: ClusterModel };
  return modelFromApi(config.model, snap as unknown as ApiSnapshot);
}
