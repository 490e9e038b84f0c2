// Normal forms of kube-proxy's rules as the kernel lists them, for the differential test against
// the real kube-proxy: only ordering and counters are taken away. `nft list table` prints set and
// map elements in hash order and chains in creation order, so elements are sorted within their
// set and the blocks by name; rules keep their order inside a chain. iptables-save lines are
// sorted within each table (upstream writes KUBE-SERVICES in Go map order) and lose their
// packet counters; only kube-proxy's own chains and the jumps into them are kept, since flanneld
// (the node agent) writes other chains into the same tables.

/** `nft list table ...` in normal form: one line per property, rule or element. */
export function normaliseNftList(text: string): string[] {
  const blocks: { head: string; lines: string[] }[] = [];
  let cur: { head: string; lines: string[] } | undefined;
  let elements: string[] | undefined;
  const addElements = (parts: string[]) => {
    const inner = parts
      .join(' ')
      .replace(/^elements = \{/, '')
      .replace(/\}$/, '');
    for (const e of inner.split(/,\s*/)) if (e.trim()) cur?.lines.push(`element ${e.trim()}`);
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!elements && line.startsWith('elements = {')) elements = [];
    if (elements) {
      elements.push(line);
      if (line.endsWith('}')) {
        addElements(elements);
        elements = undefined;
      }
      continue;
    }
    if (/^(set|map|chain) \S+ \{$/.test(line)) {
      cur = { head: line.replace(/ \{$/, ''), lines: [] };
      blocks.push(cur);
    } else if (line === '}') cur = undefined;
    else if (!line.startsWith('table ')) {
      const rule = line.replace(/\s*counter packets \d+ bytes \d+/, '');
      if (cur) cur.lines.push(rule);
      else blocks.push({ head: `table ${rule}`, lines: [] });
    }
  }
  const out: string[] = [];
  for (const b of blocks.sort((a, b2) => (a.head < b2.head ? -1 : a.head > b2.head ? 1 : 0))) {
    const elems = b.lines.filter((l) => l.startsWith('element ')).sort();
    const rest = b.lines.filter((l) => !l.startsWith('element '));
    out.push(b.head, ...rest.map((l) => `${b.head}: ${l}`), ...elems.map((l) => `${b.head}: ${l}`));
  }
  return out;
}

const isKubeChain = (c: string) => c.startsWith('KUBE-');

/** `iptables-save` in normal form: kube-proxy's chains and the jumps into them, per table,
 * sorted, without counters. */
export function normaliseIptablesSave(text: string): string[] {
  const out: string[] = [];
  let table = '';
  const lines: string[] = [];
  const flush = () => out.push(...lines.sort().map((l) => `${table} ${l}`));
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line.startsWith('*')) {
      table = line.slice(1);
      lines.length = 0;
    } else if (line === 'COMMIT') flush();
    else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0];
      if (isKubeChain(chain)) lines.push(`:${chain}`);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1];
      if (isKubeChain(chain) || / -j KUBE-\S+/.test(line)) lines.push(line);
    }
  }
  return out;
}

/** Lines only in `a`, lines only in `b` (as multisets). */
export function lineDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const l of b) count.set(l, (count.get(l) ?? 0) + 1);
  const onlyA: string[] = [];
  for (const l of a) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else onlyA.push(l);
  }
  const onlyB = [...count].flatMap(([l, n]) => Array<string>(n).fill(l));
  return { onlyA, onlyB };
}

const sortedLines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();

/** `ipvsadm-save -n` in normal form: its lines sorted (the kernel lists virtual servers in hash
 * order and real servers in insertion order). The listing has no counters. */
export function normaliseIpvsadmSave(text: string): string[] {
  return sortedLines(text);
}

/** `ipset save` in normal form: lines sorted (members come in hash order), and each `create`
 * line without `initval 0x...`, the hash seed the kernel draws at random for every set it
 * creates (ip_set_hash_gen.h): like a counter, state of the run, not of the rules. */
export function normaliseIpsetSave(text: string): string[] {
  return sortedLines(text.replace(/ initval 0x[0-9a-f]+/g, ''));
}

/** `ip -o link show` plus `ip -o addr show` of one device in normal form: the link's flags, MTU,
 * state and type, and its addresses sorted; without the interface index, the random MAC address
 * and the address lifetimes the kernel assigns (state of the run, not of the rules). */
export function normaliseIpDevice(link: string, addr: string): string[] {
  const links = link
    .split('\n')
    .filter(Boolean)
    .map((l) =>
      l
        .replace(/^\d+:\s*/, '')
        .replace(/\\/g, ' ')
        .replace(/ link\/ether \S+ brd \S+/, ' link/ether')
        .replace(/ (altname|alias) \S+/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  const addrs = addr
    .split('\n')
    .map((l) => /\s(inet6?) (\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`)
    .sort();
  return [...links, ...addrs];
}

/** A difference a differential test keeps on purpose: which side has the line, and why (the
 * upstream line that explains it). */
export interface KnownDifference {
  side: 'real' | 'wirelab';
  line: RegExp;
  why: string;
}

/** The differences between the real side's lines and wirelab's that no known difference
 * explains, and the known differences that did not occur (a stale entry is a failure too). */
export function unexplainedDifferences(
  real: string[],
  ours: string[],
  known: KnownDifference[],
): { onlyReal: string[]; onlyWirelab: string[]; unused: string[] } {
  const { onlyA, onlyB } = lineDiff(real, ours);
  const explained = (side: KnownDifference['side'], l: string) => known.some((k) => k.side === side && k.line.test(l));
  return {
    onlyReal: onlyA.filter((l) => !explained('real', l)),
    onlyWirelab: onlyB.filter((l) => !explained('wirelab', l)),
    unused: known.filter((k) => !(k.side === 'real' ? onlyA : onlyB).some((l) => k.line.test(l))).map((k) => `${k.side}: ${k.line}`),
  };
}
