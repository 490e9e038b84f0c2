// What one nftables table holds after a sequence of transactions, as pure data: the behaviour
// of knftables v0.0.17's Fake (fake.go: add is idempotent for tables, chains, sets and maps,
// flush empties, delete removes, an element added twice replaces the first) and its Dump()
// (every object's add line, then rules and elements, objects sorted by name). kube-proxy's
// nftables proxier reads the kernel's table before each sync (existing chains, sets, map
// elements); the node agent and the golden tests keep this mirror of it instead.
import { writeOp, type NftObject, type NftOp, type NftTableRef, KUBE_PROXY_TABLE } from './nft-objects.js';

type Chain = Extract<NftObject, { kind: 'chain' }>;
type Container = Extract<NftObject, { kind: 'set' | 'map' }>;
type Rule = Extract<NftObject, { kind: 'rule' }>;
type Element = Extract<NftObject, { kind: 'element' }>;

export const elementKey = (key: string[]) => key.join(' . ');

export class NftTable {
  table?: Extract<NftObject, { kind: 'table' }>;
  readonly chains = new Map<string, { chain: Chain; rules: Rule[] }>();
  readonly sets = new Map<string, { obj: Container; elements: Map<string, Element> }>();
  readonly maps = new Map<string, { obj: Container; elements: Map<string, Element> }>();

  constructor(readonly ref: NftTableRef = KUBE_PROXY_TABLE) {}

  clone(): NftTable {
    const t = new NftTable(this.ref);
    t.table = this.table;
    for (const [n, c] of this.chains) t.chains.set(n, { chain: c.chain, rules: [...c.rules] });
    for (const [n, s] of this.sets) t.sets.set(n, { obj: s.obj, elements: new Map(s.elements) });
    for (const [n, m] of this.maps) t.maps.set(n, { obj: m.obj, elements: new Map(m.elements) });
    return t;
  }

  /** Applies a transaction; an operation on something missing throws, as nft refuses it. */
  apply(ops: NftOp[]): void {
    for (const op of ops) this.applyOne(op);
  }

  private applyOne({ verb, obj }: NftOp): void {
    const missing = (what: string) => new Error(`nft: ${verb} ${what}: No such file or directory`);
    switch (obj.kind) {
      case 'table':
        if (verb === 'add') this.table ??= obj;
        else if (verb === 'delete') {
          this.table = undefined;
          this.chains.clear();
          this.sets.clear();
          this.maps.clear();
        }
        return;
      case 'chain': {
        const have = this.chains.get(obj.name);
        if (verb === 'add') {
          if (!have) this.chains.set(obj.name, { chain: obj, rules: [] });
        } else if (!have) throw missing(`chain ${obj.name}`);
        else if (verb === 'flush') have.rules = [];
        else this.chains.delete(obj.name);
        return;
      }
      case 'rule': {
        const have = this.chains.get(obj.chain);
        if (!have) throw missing(`rule in chain ${obj.chain}`);
        if (verb === 'add') have.rules.push(obj);
        return;
      }
      case 'set':
      case 'map': {
        const store = obj.kind === 'set' ? this.sets : this.maps;
        const have = store.get(obj.name);
        if (verb === 'add') {
          if (!have) store.set(obj.name, { obj, elements: new Map() });
        } else if (!have) throw missing(`${obj.kind} ${obj.name}`);
        else if (verb === 'flush') have.elements.clear();
        else store.delete(obj.name);
        return;
      }
      case 'element': {
        const have = (obj.container === 'set' ? this.sets : this.maps).get(obj.name);
        if (!have) throw missing(`element in ${obj.container} ${obj.name}`);
        const key = elementKey(obj.key);
        if (verb === 'add') have.elements.set(key, obj);
        else if (verb === 'delete') {
          if (!have.elements.delete(key)) throw missing(`element ${key} of ${obj.name}`);
        }
        return;
      }
    }
  }

  /** knftables Fake.Dump(): the table as `add` lines. */
  dump(): string {
    if (!this.table) return '';
    const sorted = <V>(m: Map<string, V>) => [...m.keys()].sort().map((k) => m.get(k)!);
    const lines: string[] = [writeOp({ verb: 'add', obj: this.table }, this.ref)];
    const chains = sorted(this.chains);
    const sets = sorted(this.sets);
    const maps = sorted(this.maps);
    for (const c of chains) lines.push(writeOp({ verb: 'add', obj: c.chain }, this.ref));
    for (const s of [...sets, ...maps]) lines.push(writeOp({ verb: 'add', obj: s.obj }, this.ref));
    for (const c of chains) for (const r of c.rules) lines.push(writeOp({ verb: 'add', obj: r }, this.ref));
    for (const s of [...sets, ...maps]) for (const e of s.elements.values()) lines.push(writeOp({ verb: 'add', obj: e }, this.ref));
    return lines.map((l) => l + '\n').join('');
  }
}
