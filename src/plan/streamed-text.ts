// Text rendered in chunks, on demand. The kernel writes a tool's standard input from it chunk by
// chunk, so the tool parses the first chunks while the rest is still being rendered: a full
// kube-proxy sync of 1k services is 11k lines, and iptables-legacy-restore takes about three
// times as long to parse them as the renderer takes to write them. Pure: rendering a chunk is
// the plan's own computation; nothing here does I/O. Each chunk is rendered once and kept, so
// the text can be read again (an error message quoting its lines, a test, `toString`).
export class StreamedText {
  private readonly rendered: string[] = [];
  private source: Iterator<string> | undefined;
  private joined: string | undefined;

  /** `produce` runs on the first read, not here. */
  constructor(private produce: (() => Iterable<string>) | undefined) {}

  /** The chunks, rendering each one only when it is asked for (and only once). */
  *chunks(): Generator<string, void, undefined> {
    for (let i = 0; ; i++) {
      if (i < this.rendered.length) {
        yield this.rendered[i];
        continue;
      }
      if (this.produce) {
        this.source = this.produce()[Symbol.iterator]();
        this.produce = undefined;
      }
      const next = this.source?.next();
      if (!next || next.done) {
        this.source = undefined;
        return;
      }
      this.rendered.push(next.value);
      yield next.value;
    }
  }

  /** Whether every chunk has been rendered. */
  get complete(): boolean {
    return this.produce === undefined && this.source === undefined;
  }

  /** The whole text (renders whatever is left). */
  toString(): string {
    if (this.joined === undefined) {
      for (const _ of this.chunks());
      this.joined = this.rendered.join('');
    }
    return this.joined;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A tool's standard input: a string, or a text rendered while the tool reads it. */
export type ToolInput = string | StreamedText;
