// `npm run bench`: wirelab's speed as ratios against plain tools doing the same work.
//   npm run bench                 topology (10 and 100 pods), start-up, services (1k), the real
//                                 control plane, one lab under Debian's kernel in a VM: ~3 min
//   npm run bench -- --no-vm      without the VM run
//   npm run bench -- --only control-plane   one part (topology, startup, services, control-plane, exercises, vm)
//   npm run bench -- --scale      also kube-proxy rules for 3k and 10k services, in iptables
//                                 (legacy, nft) and nftables mode (tens of minutes: nft and
//                                 iptables-nft grow faster than linearly with the table)
//   npm run bench -- --only services --sizes 1000,10000 --backends nftables
//                                 the services part for these sizes and backends only
//   npm run bench -- --only services --sizes 10000 --backends nftables --runs 3
//                                 three runs of each side, alternating which goes first (a median
//                                 of three where one 10k run each can be a kernel's slow spell)
// Exit code 0 when every target of the run is met.
import { ownedNetns } from '../src/kernel/netns.js';
import { benchStartup } from './startup.js';
import { benchTopology } from './topology.js';
import { benchServices, BACKENDS } from './services.js';
import { benchVm } from './vm.js';
import { benchControlPlane } from './control-plane.js';
import { benchExercises } from './exercises.js';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(
    'usage: npm run bench [-- --scale] [--no-vm] [--only topology|startup|services|control-plane|exercises|vm] [--sizes 1000,3000] [--backends iptables-legacy,iptables-nft,nftables] [--runs N]   (--runs: runs of each side of a full sync; --scale adds the 10k-service runs; --no-vm skips the VM run)',
  );
  process.exit(0);
}
if (process.getuid?.() !== 0) throw new Error('the benchmark builds real namespaces: run `sudo npm run bench`');
if ((await ownedNetns()).length > 0) throw new Error('a lab is up: run `sudo npm run lab -- clean` first, so it does not disturb the timings');
const started = performance.now();
console.log('wirelab bench\n');
// --only <part>: one part (topology, startup, services, control-plane, exercises, vm).
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const part = (name: string) => only === undefined || only === name;
let ok = true;
if (part('topology')) ok = (await benchTopology()) && ok;
if (part('startup')) ok = (await benchStartup()) && ok;
// --sizes 1000,10000 / --backends iptables-nft,nftables: the services part for these only.
const listArg = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1].split(',') : undefined);
const sizes = listArg('--sizes')?.map((n) => {
  if (!/^\d+$/.test(n)) throw new Error(`--sizes: "${n}" is not a number of services (e.g. --sizes 1000,3000)`);
  return Number(n);
});
const backends = listArg('--backends')?.map((b) => {
  const known = BACKENDS.find((k) => k === b);
  if (!known) throw new Error(`--backends: "${b}" is none of ${BACKENDS.join(', ')}`);
  return known;
});
// --runs 3: runs of each side of every full sync (by default fifteen at 1k, three at 3k, one at 10k).
const runsArg = listArg('--runs');
if (runsArg && (runsArg.length !== 1 || !/^[1-9]\d*$/.test(runsArg[0])))
  throw new Error(`--runs: "${runsArg.join(',')}" is not a number of runs (e.g. --runs 3)`);
const runs = runsArg ? Number(runsArg[0]) : undefined;
if (part('services')) ok = (await benchServices(args.includes('--scale'), sizes, backends, runs)) && ok;
if (part('control-plane')) ok = (await benchControlPlane()) && ok;
if (part('exercises')) ok = (await benchExercises()) && ok;
if (part('vm') && !args.includes('--no-vm')) ok = (await benchVm()) && ok;
console.log(`\n${ok ? 'every target met' : 'some target MISSED'} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
process.exitCode = ok ? 0 : 1;
