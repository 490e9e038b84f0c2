// The remote command protocol (exec, attach) on a SPDY session, as the kubelet's streaming
// server serves it (pkg/cri/streaming/remotecommand/httpstream.go, exec.go in k8s.io/kubelet
// v0.34.2): the client opens an error stream and one stream per requested channel (stdin,
// stdout, stderr, and resize with a TTY), each told apart by its streamType header; once all
// have been answered the command runs; at the end its status goes on the error stream as a
// metav1.Status (protocol v4: Success, or Failure with reason NonZeroExitCode and the exit code
// as the ExitCode cause, which kubectl turns into its own exit code), then the connection closes.
import type { Readable, Writable } from 'node:stream';
import type { SpdySession, SpdyStream } from './spdy.js';

/** v4 is the newest the kubelet speaks over SPDY (v5 is WebSocket only; the API server asks for
 * v5 first and takes v4). */
export const REMOTECOMMAND_PROTOCOLS = ['v4.channel.k8s.io'];

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The query of an exec or attach request as the API server passes it (input=1, output=1,
 * error=1, tty=1: pkg/registry/core/pod/strategy.go streamParams); with a TTY there is no stderr. */
export function parseStreamOptions(q: URLSearchParams): StreamOptions | { error: string } {
  const on = (k: string) => q.get(k) === '1' || q.get(k) === 'true';
  const tty = on('tty');
  const o = { stdin: on('input') || on('stdin'), stdout: on('output') || on('stdout'), stderr: on('error') || on('stderr'), tty };
  if (tty) o.stderr = false;
  if (!o.stdin && !o.stdout && !o.stderr) return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  return o;
}

export interface Channels {
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

const CREATION_TIMEOUT_MS = 30_000;

/** Waits for the streams the options call for, answering each. */
export function waitForChannels(session: SpdySession, o: StreamOptions): Promise<Channels> {
  const expected = 1 + [o.stdin, o.stdout, o.stderr, o.tty].filter(Boolean).length;
  return new Promise((resolve, reject) => {
    const got: Partial<Channels> = {};
    let count = 0;
    const timer = setTimeout(() => done(new Error('timed out waiting for client to create streams')), CREATION_TIMEOUT_MS);
    const onStream = (s: SpdyStream) => {
      const type = s.headers.streamtype as keyof Channels;
      if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type)) return s.reset();
      got[type] = s;
      void s.reply().then(() => {
        if (++count === expected) done();
      });
    };
    const onClose = () => done(new Error('the client closed the connection before creating its streams'));
    const done = (e?: Error) => {
      clearTimeout(timer);
      session.off('stream', onStream);
      session.off('close', onClose);
      if (e) reject(e);
      else if (!got.error) reject(new Error('the client created no error stream'));
      else resolve(got as Channels);
    };
    session.on('stream', onStream);
    session.on('close', onClose);
  });
}

/** Window sizes from the resize stream: JSON objects one after the other ({"Width":w,"Height":h}). */
export function resizeEvents(stream: Readable, onSize: (cols: number, rows: number) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let m: RegExpExecArray | null;
    while ((m = /^\s*(\{[^}]*\})/.exec(buf))) {
      buf = buf.slice(m[0].length);
      try {
        const size = JSON.parse(m[1]) as { Width?: number; Height?: number };
        onSize(size.Width ?? 0, size.Height ?? 0);
      } catch {
        // not a size: ignored, as kubelet stops at a message it cannot decode
      }
    }
  });
}

/** The v4 status of a finished command (remotecommand/exec.go ServeExec). */
export function exitStatus(code: number): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Ends the exchange: the output streams end, the status goes out, the session closes. */
export async function finish(session: SpdySession, ch: Channels, status: object): Promise<void> {
  for (const s of [ch.stdout, ch.stderr]) if (s && !s.writableEnded) s.end();
  await new Promise<void>((resolve) => ch.error.end(JSON.stringify(status), () => resolve()));
  session.close();
}

/** Copies a readable into a channel without ending it (the caller ends the channels together). */
export function copyInto(from: Readable, to: Writable | undefined): Promise<void> {
  return new Promise((resolve) => {
    from.on('data', (d: Buffer) => to?.write(d));
    from.on('end', resolve);
    from.on('close', resolve);
    from.on('error', () => resolve());
  });
}
