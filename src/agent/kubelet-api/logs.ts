// GET /containerLogs/{namespace}/{pod}/{container}: a container's output as kubelet serves it
// (pkg/kubelet/server/server.go getContainerLogs and pkg/kubelet/kuberuntime/logs at v1.34.2):
// the whole log, its last tailLines lines, or the log of the container's previous run
// (previous=true, kept when the container exited and was restarted); follow=true keeps the
// response open and sends what the container writes until it exits or the client goes away.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface LogQuery {
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/** The query parameters kubectl sends (k8s.io/api/core/v1 PodLogOptions), checked as kubelet
 * does: a negative tailLines or limitBytes is an error. */
export function parseLogQuery(q: URLSearchParams): LogQuery | { error: string } {
  const num = (name: string): number | undefined | { error: string } => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : { error: `${name} must be a non-negative integer, got "${v}"` };
  };
  const tailLines = num('tailLines');
  const limitBytes = num('limitBytes');
  if (typeof tailLines === 'object') return tailLines;
  if (typeof limitBytes === 'object') return limitBytes;
  const yes = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  return {
    follow: yes('follow'),
    previous: yes('previous'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

/** The byte offset where the last n lines of text start (a final line without newline counts). */
export function tailOffset(text: Buffer, n: number): number {
  if (n === 0) return text.length;
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let lines = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (text[i] === 0x0a && ++lines === n) return i + 1;
  }
  return 0;
}

/** The log of a container's previous run: the current log moved aside when it exited. */
export const previousLogFile = (log: string) => `${log}.previous`;

const POLL_MS = 100;

/** Writes the log (from its tail) to out; with follow, what is appended until running() is
 * false or out closes. Ends out. */
export async function streamLog(file: string, q: LogQuery, out: Writable, running: () => boolean): Promise<void> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  let start = 0;
  if (q.tailLines !== undefined) {
    const head = await readRange(file, 0, size);
    start = tailOffset(head, q.tailLines);
  }
  let sent = 0;
  const limit = q.limitBytes ?? Infinity;
  const send = async (from: number, to: number) => {
    const end = Math.min(to, from + (limit - sent));
    if (end <= from) return;
    await new Promise<void>((resolve, reject) => {
      const r = createReadStream(file, { start: from, end: end - 1 });
      r.on('error', reject);
      r.on('end', resolve);
      r.pipe(out, { end: false });
    });
    sent += end - from;
  };
  await send(start, size);
  let offset = size;
  let closed = false;
  out.on('close', () => (closed = true));
  while (q.follow && !closed && sent < limit) {
    const now = (await stat(file).catch(() => undefined))?.size ?? 0;
    // A restart moves the log aside: the new one starts from 0, and so does following it.
    if (now < offset) offset = 0;
    if (now > offset) {
      await send(offset, now);
      offset = now;
    } else if (!running()) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  out.end();
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(to - from);
    await fh.read(buf, 0, buf.length, from);
    return buf;
  } finally {
    await fh.close();
  }
}
