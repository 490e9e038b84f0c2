// State a proxier keeps in place from one sync to the next (the nftables table mirror, the maps
// of what each service wrote), with the last sync's changes undoable: copying maps of every
// service for each one-service change cost more than rendering the change, and a caller that
// retries from the state before a failed transaction (or a benchmark that replays one change)
// gets everything rolled back to that state first.

export class UndoLog {
  /** Syncs begun so far; a sync state names the version it left. */
  version = 0;
  /** Undoes the last sync (from `version - 1` to `version`), newest step first; none for a sync
   * that built its state from nothing (no state of it is older than that sync). */
  private steps?: (() => void)[];

  /** Brings the state back to `version`: now, or one sync ago. */
  rollBackTo(version: number): void {
    if (version === this.version) return;
    if (version !== this.version - 1 || !this.steps) {
      throw new Error(`proxier state: cannot go back from version ${this.version} to ${version} (only the last transaction is undone)`);
    }
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]();
    this.steps = undefined;
    this.version = version;
  }

  /** Starts the next version: what is recorded from now on is undone by rollBackTo(version - 1),
   * if `undoable`. */
  begin(undoable = true): void {
    this.steps = undoable ? [] : undefined;
    this.version++;
  }

  /** Records how to undo a change just made. */
  record(step: () => void): void {
    this.steps?.push(step);
  }

  /** Sets (or, with undefined, deletes) a map entry, recorded. */
  put<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const before = map.get(key);
    if (value === undefined) map.delete(key);
    else map.set(key, value);
    this.record(() => (before === undefined ? map.delete(key) : map.set(key, before)));
  }
}
