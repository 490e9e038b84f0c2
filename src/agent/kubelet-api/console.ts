// A container that reads stdin (stdin: true; with tty: true on a pseudo-terminal), as `kubectl
// run -it` creates one: the agent keeps its stdio, as the container runtime does for attach.
// Its output goes to its log (kubectl logs) and to whoever is attached; what an attached user
// types goes to it. With stdinOnce (kubectl run -it sets it), the first attached user's end of
// input closes the container's stdin (the shell exits), as kubelet does.
import { createWriteStream } from 'node:fs';
import type { PodProcess } from '../../kernel/pod-exec.js';

/** A process started in a pod: an exec'd command, or a console container. */
export type ExecProcess = PodProcess;

export class Console {
  private readonly subscribers = new Set<(d: Buffer) => void>();
  /** The exit code once the container exited. */
  code: number | undefined;
  readonly exited: Promise<number>;

  constructor(
    readonly proc: ExecProcess,
    log: string,
    readonly stdinOnce: boolean,
  ) {
    const file = createWriteStream(log, { flags: 'a' });
    file.on('error', () => undefined);
    const out = (d: Buffer) => {
      file.write(d);
      for (const s of this.subscribers) s(d);
    };
    proc.stdout.on('data', out);
    proc.stderr?.on('data', out);
    this.exited = proc.exited.then((code) => {
      this.code = code;
      file.end();
      return code;
    });
  }

  /** Output from now on; returns the unsubscribe. */
  subscribe(fn: (d: Buffer) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
