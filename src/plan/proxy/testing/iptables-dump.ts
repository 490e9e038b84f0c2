// Parsing and normalizing iptables-save / iptables-restore text, ported from upstream's test
// helpers so our output can be compared with upstream's expected dumps the way upstream
// compares them:
//   pkg/util/iptables/testing/parse.go   ParseIPTablesDump, IPTablesDump.String
//   pkg/proxy/iptables/proxier_test.go   sortIPTablesRules, orderByCommentServiceName,
//                                        checkIPTablesRuleJumps
// (kubernetes/kubernetes commit 531be81208e2274ef42e72525a26610a9622bcdf).

export interface DumpChain {
  name: string;
  packets: number;
  bytes: number;
  /** Raw rule lines ("-A CHAIN ..."). */
  rules: string[];
  deleted: boolean;
}

export interface DumpTable {
  name: string;
  chains: DumpChain[];
}

const declareChain = /^:([^ ]*) - \[([0-9]*):([0-9]*)\]$/;
const addRule = /^-A ([^ ]*) (.*)$/;
const deleteChain = /^-X (.*)$/;

/** ParseIPTablesDump (declared chains only, like upstream; comments and blank lines skipped). */
export function parseIPTablesDump(data: string): DumpTable[] {
  const tables: DumpTable[] = [];
  let state: 'table' | 'chains' | 'rules' = 'table';
  let table: DumpTable | undefined;
  for (const raw of data.replace(/^\n+|\n+$/g, '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (state === 'table') {
      if (!line.startsWith('*')) throw new Error(`table ${tables.length + 1} starts with ${JSON.stringify(line)}`);
      table = { name: line.slice(1), chains: [] };
      tables.push(table);
      state = 'chains';
      continue;
    }
    const t = table as DumpTable;
    const decl = state === 'chains' ? declareChain.exec(line) : null;
    if (decl) {
      t.chains.push({ name: decl[1], packets: Number(decl[2]), bytes: Number(decl[3]), rules: [], deleted: false });
      continue;
    }
    state = parseRuleLine(t, line) ? 'rules' : 'table';
  }
  if (state !== 'table') throw new Error('could not parse iptables data (no COMMIT line?)');
  return tables;
}

/** Returns false on COMMIT. */
function parseRuleLine(table: DumpTable, line: string): boolean {
  const add = addRule.exec(line);
  const del = add ? null : deleteChain.exec(line);
  if (add || del) {
    const name = (add ?? del)![1];
    const chain = table.chains.find((c) => c.name === name);
    if (!chain) throw new Error(`error parsing rule ${JSON.stringify(line)}: no such chain ${JSON.stringify(name)}`);
    if (add) {
      if (chain.deleted) throw new Error(`cannot add rules to deleted chain ${JSON.stringify(name)}`);
      chain.rules.push(line);
    } else {
      if (chain.rules.length > 0) throw new Error(`cannot delete chain ${JSON.stringify(name)} after adding rules`);
      chain.deleted = true;
    }
    return true;
  }
  if (line === 'COMMIT') return false;
  throw new Error(`error parsing rule ${JSON.stringify(line)}`);
}

/** IPTablesDump.String(): chain lines, then each chain's rules in chain order, then -X lines. */
export function dumpToString(tables: DumpTable[]): string {
  let out = '';
  for (const t of tables) {
    out += `*${t.name}\n`;
    for (const c of t.chains) out += `:${c.name} - [${c.packets}:${c.bytes}]\n`;
    for (const c of t.chains) for (const r of c.rules) out += `${r}\n`;
    for (const c of t.chains) if (c.deleted) out += `-X ${c.name}\n`;
    out += 'COMMIT\n';
  }
  return out;
}

const wordRegex = /(?:^|\s)("[^"]*"|[^"]\S*)/g;

/** The words of a rule as ParseRule splits them (quoted strings are one word, quotes removed). */
export function ruleWords(rule: string): string[] {
  return [...rule.matchAll(wordRegex)].map((m) => m[1].replace(/^"+|"+$/g, ''));
}

/** The value of a rule's --comment, if any. */
export function ruleComment(rule: string): string | undefined {
  const words = ruleWords(rule);
  const i = words.indexOf('--comment');
  return i >= 0 && i + 1 < words.length ? words[i + 1] : undefined;
}

/** orderByCommentServiceName: compares the comment up to the first space or colon. */
function orderByCommentServiceName(a: string, b: string): boolean {
  const ca = ruleComment(a);
  const cb = ruleComment(b);
  if (ca === undefined || cb === undefined) return false;
  const name = (c: string): string => {
    const i = c.search(/[ :]/);
    return i === -1 ? c : c.slice(0, i);
  };
  return name(ca) < name(cb);
}

const toComparator =
  (less: (a: string, b: string) => boolean) =>
  (a: string, b: string): number =>
    less(a, b) ? -1 : less(b, a) ? 1 : 0;

function chainOrder(a: string, b: string): number {
  const rank = (n: string): number => (n === 'KUBE-NODEPORTS' ? 0 : n === 'KUBE-SERVICES' ? 1 : n.startsWith('KUBE-') ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * sortIPTablesRules: makes a dump independent of the order services were processed in, the
 * normalization assertIPTablesRulesEqual applies to kube-proxy's output before comparing.
 */
export function sortIPTablesRules(ruleData: string): string {
  const tables = parseIPTablesDump(ruleData);
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tables) t.chains.sort((a, b) => chainOrder(a.name, b.name));
  const chain = (table: string, name: string): DumpChain | undefined => tables.find((t) => t.name === table)?.chains.find((c) => c.name === name);
  for (const table of ['filter', 'nat']) {
    const nodePorts = chain(table, 'KUBE-NODEPORTS');
    if (nodePorts) nodePorts.rules.sort(toComparator(orderByCommentServiceName));
  }
  const filterServices = chain('filter', 'KUBE-SERVICES');
  if (filterServices) filterServices.rules.sort(toComparator(orderByCommentServiceName));
  const natServices = chain('nat', 'KUBE-SERVICES');
  if (natServices) {
    const isLast = (r: string): boolean => (ruleComment(r) ?? '').includes('must be the last rule');
    natServices.rules.sort(toComparator((a, b) => (isLast(a) ? false : isLast(b) ? true : orderByCommentServiceName(a, b))));
  }
  return dumpToString(tables);
}

const BUILTIN_TARGETS = ['ACCEPT', 'REJECT', 'DROP', 'MARK', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE'];
const ALWAYS_CREATED = [
  'KUBE-SERVICES',
  'KUBE-EXTERNAL-SERVICES',
  'KUBE-NODEPORTS',
  'KUBE-POSTROUTING',
  'KUBE-FORWARD',
  'KUBE-MARK-MASQ',
  'KUBE-PROXY-FIREWALL',
  'KUBE-FIREWALL',
];

/**
 * checkIPTablesRuleJumps: every jump goes to a created chain that has rules, every chain with
 * rules was created, and no created chain is unused (except the top-level ones). Returns the
 * problems found ([] when consistent).
 */
export function checkIPTablesRuleJumps(ruleData: string): string[] {
  const problems: string[] = [];
  for (const table of parseIPTablesDump(ruleData)) {
    const created = new Set(table.chains.filter((c) => !c.deleted).map((c) => c.name));
    const filled = new Set(table.chains.filter((c) => c.rules.length > 0).map((c) => c.name));
    const jumped = new Set<string>();
    for (const c of table.chains) {
      for (const r of c.rules) {
        const words = ruleWords(r);
        const j = words.indexOf('-j');
        if (j >= 0 && !BUILTIN_TARGETS.includes(words[j + 1])) jumped.add(words[j + 1]);
      }
    }
    const missing = [...jumped, ...filled].filter((c) => !created.has(c));
    if (missing.length) problems.push(`${table.name}: used but not created: ${[...new Set(missing)].join(', ')}`);
    const empty = [...jumped].filter((c) => !filled.has(c) && c !== 'KUBE-NODEPORTS');
    if (empty.length) problems.push(`${table.name}: jumped to but no rules: ${empty.join(', ')}`);
    const extra = [...created].filter((c) => !jumped.has(c) && !ALWAYS_CREATED.includes(c));
    if (extra.length) problems.push(`${table.name}: created but not used: ${extra.join(', ')}`);
  }
  return problems;
}
