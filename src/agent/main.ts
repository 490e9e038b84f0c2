// The node agent program: `node dist/agent/main.js --config <state>/agents/<node>.json`, started
// by `lab up` in the node's namespace (like kubelet and kube-proxy, with the host network of
// its node) and stopped by teardown. Its log is the process log of "<node>/node-agent".
import { readFileSync } from 'node:fs';
import type { AgentConfig } from '../plan/control-plane/plan.js';
import { NodeAgent } from './node-agent.js';

const i = process.argv.indexOf('--config');
if (i < 0 || !process.argv[i + 1]) {
  process.stderr.write('usage: node-agent --config <agents/<node>.json>\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(process.argv[i + 1], 'utf8')) as AgentConfig;
const agent = new NodeAgent(config);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => agent.stop());
agent.run().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`node-agent ${config.node}: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
