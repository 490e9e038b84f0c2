// What one nftables table holds after a sequence of transactions, as pure data: the behaviour
// of knftables v0.0.17's Fake (fake.go: add is idempotent for tables, chains, sets and maps,
// flush empties, delete removes, an element added twice replaces the first) and its Dump()
// (every object's add line, then rules and elements, objects sorted by name). kube-proxy's
// nftables proxier reads the kernel's table before each sync (existing chains, sets, map
// elements); the node agent and the golden tests keep this mirror of it instead.
//
// A sync changes the mirror in place and keeps an undo log of its last transaction (undo-log.ts):
// a caller that retries from the state before it gets the mirror rolled back to that state first.
import { UndoLog } from './undo-log.js';
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
  /** Transactions applied so far, and how to undo the last one; the sync state's maps kept
   * beside the mirror record their changes here too (one version per sync). */
  readonly log = new UndoLog();

  constructor(readonly ref: NftTableRef = KUBE_PROXY_TABLE) {}

  /** The version a sync state names (UndoLog.version). */
  get version(): number {
    return this.log.version;
  }

  /** Brings the mirror back to `version`: now, or one transaction ago (its undo log). */
  rollBackTo(version: number): void {
    this.log.rollBackTo(version);
  }

  /** Starts the next version: what apply() does from now on is undone by rollBackTo(version - 1),
   * if `undoable`. */
  begin(undoable = true): void {
    this.log.begin(undoable);
  }

  /** Applies a transaction; an operation on something missing throws, as nft refuses it. */
  apply(ops: NftOp[]): void {
    for (const op of ops) this.applyOne(op);
  }

  private applyOne({ verb, obj }: NftOp): void {
    const missing = (what: string) => new Error(`nft: ${verb} ${what}: No such file or directory`);
    const undo = this.log;
    switch (obj.kind) {
      case 'table':
        if (verb === 'add') {
          if (!this.table) undo.record(() => (this.table = undefined));
          this.table ??= obj;
        } else if (verb === 'delete') {
          const before = { table: this.table, chains: [...this.chains], sets: [...this.sets], maps: [...this.maps] };
          undo.record(() => {
            this.table = before.table;
            for (const [m, entries] of [
              [this.chains, before.chains],
              [this.sets, before.sets],
              [this.maps, before.maps],
            ] as const) {
              m.clear();
              for (const [k, v] of entries) (m as Map<string, unknown>).set(k, v);
            }
          });
          this.table = undefined;
          this.chains.clear();
          this.sets.clear();
          this.maps.clear();
        }
        return;
      case 'chain': {
        const have = this.chains.get(obj.name);
        if (verb === 'add') {
          if (!have) {
            this.chains.set(obj.name, { chain: obj, rules: [] });
            undo.record(() => this.chains.delete(obj.name));
          }
        } else if (!have) throw missing(`chain ${obj.name}`);
        else if (verb === 'flush') {
          const rules = have.rules;
          have.rules = [];
          undo.record(() => (have.rules = rules));
        } else {
          this.chains.delete(obj.name);
          undo.record(() => this.chains.set(obj.name, have));
        }
        return;
      }
      case 'rule': {
        const have = this.chains.get(obj.chain);
        if (!have) throw missing(`rule in chain ${obj.chain}`);
        if (verb === 'add') {
          have.rules.push(obj);
          undo.record(() => have.rules.pop());
        }
        return;
      }
      case 'set':
      case 'map': {
        const store = obj.kind === 'set' ? this.sets : this.maps;
        const have = store.get(obj.name);
        if (verb === 'add') {
          if (!have) {
            store.set(obj.name, { obj, elements: new Map() });
            undo.record(() => store.delete(obj.name));
          }
        } else if (!have) throw missing(`${obj.kind} ${obj.name}`);
        else if (verb === 'flush') {
          const elements = have.elements;
          have.elements = new Map();
          undo.record(() => (have.elements = elements));
        } else {
          store.delete(obj.name);
          undo.record(() => store.set(obj.name, have));
        }
        return;
      }
      case 'element': {
        const have = (obj.container === 'set' ? this.sets : this.maps).get(obj.name);
        if (!have) throw missing(`element in ${obj.container} ${obj.name}`);
        const key = elementKey(obj.key);
        const elements = have.elements;
        const before = elements.get(key);
        if (verb === 'add') elements.set(key, obj);
        else if (verb === 'delete') {
          if (!elements.delete(key)) throw missing(`element ${key} of ${obj.name}`);
        } else return;
        undo.record(() => (before ? elements.set(key, before) : elements.delete(key)));
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
