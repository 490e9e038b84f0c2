// The services bench: kube-proxy's rules for N ClusterIP services with 2 endpoints each, in
// iptables mode (iptables-legacy and iptables-nft) and nftables mode, programmed into one node
// namespace the way the node agent does it (render + one iptables-restore / one `nft -f`), next
// to the bare tool applying the identical text to a fresh namespace; then one more service added
// to a node that has N (wirelab's incremental sync: render + apply) next to the bare tool
// applying the same change to a node in the same state. Targets (ratios, as these machines are
// noisy): render + apply within 1.25x of the bare tool, for the full sync and for the one-service
// change. 1k always; --scale adds 3k and 10k (minutes: nft and iptables-nft grow faster than
// linearly with the table on this kernel), which draws the curve.
import { performance } from 'node:perf_hooks';
import { run } from '../src/kernel/exec.js';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from '../src/plan/proxy/iptables.js';
import { toRestoreText } from '../src/plan/proxy/iptables-restore.js';
import { renderIncrementalSync } from '../src/plan/proxy/incremental.js';
import { withJumps } from '../src/plan/proxy/registry.js';
import { syncNftables, type KubeProxyNftablesInput } from '../src/plan/proxy/nftables.js';
import { transactionText } from '../src/plan/proxy/nft-objects.js';
import type { EndpointSlice, Service } from '../src/model/types.js';
import { intToIp, ipToInt } from '../src/net/cidr.js';
import { endpoint, makeService, makeSlice } from '../src/model/testing/services.js';

const NS = 'wl-benchsvc.node';
const RATIO = 1.25;

function fixture(n: number): { services: Service[]; endpointSlices: EndpointSlice[] } {
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${String(i).padStart(5, '0')}`;
    services.push(
      makeService('default', name, (s) => {
        s.clusterIP = intToIp(ipToInt('10.96.1.0') + i);
        s.selector = { app: name };
        s.ports = [{ name: '', protocol: 'TCP', port: 80, targetPort: 8080 }];
      }),
    );
    const ep = (k: number) => endpoint(intToIp(ipToInt('10.8.0.2') + 2 * i + k), k === 0 ? 'node' : 'other');
    endpointSlices.push({ ...makeSlice('default', name, [ep(0), ep(1)], [{ name: '', port: 8080 }]), name: `${name}-x` });
  }
  return { services, endpointSlices };
}

const iptInput = (n: number): KubeProxyIptablesInput => ({ hostname: 'node', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16', ...fixture(n) });
const nftInput = (n: number): KubeProxyNftablesInput => ({ ...iptInput(n), serviceCIDRs: ['10.96.0.0/12'] });

async function freshNode(): Promise<void> {
  await run(['ip', 'netns', 'del', NS], { allowFailure: true });
  await run(['ip', 'netns', 'add', NS]);
}

type Backend = 'iptables-legacy' | 'iptables-nft' | 'nftables';
const TOOL: Record<Backend, string[]> = {
  'iptables-legacy': ['iptables-legacy-restore', '--noflush'],
  'iptables-nft': ['iptables-restore', '--noflush'],
  nftables: ['nft', '-f', '-'],
};

async function apply(backend: Backend, text: string): Promise<void> {
  await run(TOOL[backend], { netns: NS, netOnly: true, input: text, timeoutMs: 900_000 });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The node agent's full sync of the services, as text (rendered inside the timed part). The
 * input is built before: the agent holds its model (from its informers) when it syncs. */
function fullSync(backend: Backend, input: KubeProxyNftablesInput): string {
  if (backend === 'nftables') return transactionText(syncNftables(input).ops);
  return withJumps(toRestoreText(renderKubeProxyRuleset(input)));
}

/** The node agent's sync after one service was added to n (render only). */
function addOne(
  backend: Backend,
  n: number,
  inputs: { before: KubeProxyNftablesInput; after: KubeProxyNftablesInput },
  prevState?: ReturnType<typeof syncNftables>['state'],
): string {
  const added = `default/svc-${String(n).padStart(5, '0')}`;
  if (backend === 'nftables') return transactionText(syncNftables(inputs.after, prevState).ops);
  return renderIncrementalSync(inputs.before, inputs.after, { added: [added], removed: [] });
}

const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');

export async function benchServices(scale: boolean, only?: number[]): Promise<boolean> {
  const sizes = only ?? (scale ? [1000, 3000, 10000] : [1000]);
  const largest = sizes[sizes.length - 1];
  const widths = [15, 8, 13, 13, 9, 6, 6];
  console.log('\nkube-proxy rules, one node, ClusterIP services with 2 endpoints each (ms; ratio = wirelab / bare tool, target <= 1.25)');
  console.log(row(['backend', 'services', 'wirelab', 'bare tool', 'render', 'ratio', 'target'], widths));
  let ok = true;
  const verdict = (ratio: number) => (ratio <= RATIO ? 'met' : 'MISSED');
  try {
    for (const backend of ['iptables-legacy', 'iptables-nft', 'nftables'] as Backend[]) {
      for (const n of sizes) {
        // The node agent is a long-running process: its renderers are compiled and its chain
        // names hashed (as kube-proxy keeps them per service) before a sync; so here too.
        const input = nftInput(n);
        fullSync(backend, input);
        await freshNode();
        let renderMs = 0;
        const h = await timed(async () => {
          const t0 = performance.now();
          const text = fullSync(backend, input);
          renderMs = performance.now() - t0;
          await apply(backend, text);
        });
        const text = fullSync(backend, input);
        await freshNode();
        const b = await timed(() => apply(backend, text));
        console.log(row([backend, String(n), h.toFixed(0), b.toFixed(0), renderMs.toFixed(0), (h / b).toFixed(2), verdict(h / b)], widths));
        ok &&= h / b <= RATIO;
      }
      // One more service into a node that has the largest set: the same change, applied by
      // wirelab (render + apply) and by the bare tool, each to a node in the same state.
      const inputs = { before: nftInput(largest), after: nftInput(largest + 1) };
      const base = fullSync(backend, inputs.before);
      const prev = backend === 'nftables' ? syncNftables(inputs.before).state : undefined;
      addOne(backend, largest, inputs, prev); // warm, as the agent is
      await freshNode();
      await apply(backend, base);
      let renderMs = 0;
      const h = await timed(async () => {
        const t0 = performance.now();
        const change = addOne(backend, largest, inputs, prev);
        renderMs = performance.now() - t0;
        await apply(backend, change);
      });
      const change = addOne(backend, largest, inputs, prev);
      const list =
        backend === 'nftables'
          ? ['nft', 'list', 'map', 'ip', 'kube-proxy', 'service-ips']
          : [backend === 'iptables-legacy' ? 'iptables-legacy-save' : 'iptables-save', '-t', 'nat'];
      const listed = await run(list, { netns: NS, netOnly: true });
      if (!listed.stdout.includes(intToIp(ipToInt('10.96.1.0') + largest))) throw new Error(`${backend}: the added service is not in the kernel's rules`);
      await freshNode();
      await apply(backend, base);
      const b = await timed(() => apply(backend, change));
      console.log(row([backend, `+1 (${largest})`, h.toFixed(1), b.toFixed(1), renderMs.toFixed(1), (h / b).toFixed(2), verdict(h / b)], widths));
      ok &&= h / b <= RATIO;
    }
  } finally {
    await run(['ip', 'netns', 'del', NS], { allowFailure: true });
  }
  return ok;
}
