// The layer rules of src/, checked by `npm run check:layers` (part of `npm test`): the folders are
// the pipeline, and imports flow one way, from a later stage to an earlier one, never back.
//   paths, shell-quote, net < k8s < labfile < model < plan < topology < vm < api < kernel < agent
//   < capture < probe < assert < report < lab < cli
// Inside plan/, the backends (cni, proxy, policy, dns, ingress) build on plan's own core
// (types.ts, chain-hash.ts, node/underlay/outside) and talk to each other only through the data
// plan-lab.ts passes between them; workloads/ may use dns/ and ingress/ (a CoreDNS pod needs its
// Corefile, an ingress controller pod its nginx.conf). images/ (programs that run inside pods)
// may use src/, never the other way round. testing/ folders hold test helpers only.
const STAGES = [
  'paths',
  'shell-quote',
  'net',
  'k8s',
  'labfile',
  'model',
  'plan',
  'topology',
  'vm',
  'api',
  'kernel',
  'agent',
  'capture',
  'probe',
  'assert',
  'report',
  'lab',
  'cli',
];
const BASE = ['paths', 'shell-quote', 'net']; // stage 0: may be imported by everyone, import no stage

const stagePath = (s) => (['paths', 'shell-quote'].includes(s) ? `^src/${s}\\.ts$` : `^src/${s}/`);

/** A stage may not import any later stage. */
const forwardRules = STAGES.flatMap((from, i) => {
  const later = STAGES.slice(i + 1).filter((s) => !BASE.includes(s) || !BASE.includes(from));
  if (later.length === 0) return [];
  return [
    {
      name: `${from}-imports-later-stage`,
      comment: `${from}/ comes before ${later.join(', ')} in the pipeline: it may not import them`,
      severity: 'error',
      from: { path: stagePath(from) },
      to: { path: later.map(stagePath).join('|') },
    },
  ];
});

const BACKENDS = ['cni', 'proxy', 'policy', 'dns', 'ingress'];
const backendRules = BACKENDS.map((b) => ({
  name: `plan-${b}-imports-sibling`,
  comment: `plan/${b}/ is a backend: it talks to the other backends through plan-lab.ts's data, not by importing them`,
  severity: 'error',
  from: { path: `^src/plan/${b}/`, pathNot: '\\.test\\.ts$' },
  to: { path: `^src/plan/(${[...BACKENDS.filter((x) => x !== b), 'workloads'].join('|')})/|^src/plan/plan-lab\\.ts$` },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import cycles', severity: 'error', from: {}, to: { circular: true } },
    ...forwardRules,
    ...backendRules,
    {
      name: 'plan-workloads-scope',
      comment: 'plan/workloads/ may use dns/ and ingress/ (pods need their Corefile and nginx.conf), not cni/, proxy/ or policy/',
      severity: 'error',
      from: { path: '^src/plan/workloads/' },
      to: { path: '^src/plan/(cni|proxy|policy)/|^src/plan/plan-lab\\.ts$' },
    },
    {
      name: 'src-imports-images',
      comment: 'images/ are programs that run inside pods; the harness starts them, it never imports them',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^images/' },
    },
    {
      name: 'production-imports-testing',
      comment: 'testing/ folders are test helpers: only tests may import them',
      severity: 'error',
      from: { path: '^(src|images)/', pathNot: '\\.test\\.ts$|/testing/' },
      to: { path: '/testing/' },
    },
    {
      name: 'only-kernel-spawns',
      comment: 'only kernel/ runs commands: no child_process, execa or zx elsewhere in src/',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/kernel/|\\.test\\.ts$' },
      to: { path: '^(node:)?child_process$|node_modules/(execa|zx)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
