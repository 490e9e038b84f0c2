// The one place that starts short-lived commands. Commands are argv arrays, never shell
// strings; a failure carries the argv, the exit code, stderr and, for batch input, the lines
// around the one that failed (as kube-proxy shows around a failed iptables-restore line).
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { inNetns } from './commands.js';
import { StreamedText, type ToolInput } from '../plan/streamed-text.js';

export { inNetns };

export interface RunOptions {
  /** Standard input; a StreamedText is written chunk by chunk as it is rendered. */
  input?: ToolInput;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Enter only the network namespace (nsenter --net), without `ip netns exec`'s private mount
   * namespace and /sys remount. Enough for sysctl (/proc/sys/net follows the opener's network
   * namespace) and iptables (netlink); much cheaper when many run in parallel, because mount
   * namespace set-up serialises on a kernel lock. */
  netOnly?: boolean;
  timeoutMs?: number;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  env?: Record<string, string>;
  /** Working directory (default: this process's). */
  cwd?: string;
}

export interface RunResult {
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    context?: string,
  ) {
    super(`command failed (exit ${exitCode ?? 'signal'}): ${argv.join(' ')}\n${stderr.trim()}${context ? `\n${context}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Lines around a failed batch line: `ip -batch` says "Command failed -:N", iptables-restore
 * "line N failed" or (a bad option or target) "Error occurred at line: N". */
export function batchFailureContext(stderr: string, input: string | undefined): string | undefined {
  const m = /Command failed -:(\d+)/.exec(stderr) ?? /line:? (\d+) failed/i.exec(stderr) ?? /Error occurred at line: (\d+)/.exec(stderr);
  if (!m || !input) return undefined;
  const n = Number(m[1]);
  const lines = input.split('\n');
  const from = Math.max(1, n - 2);
  const to = Math.min(lines.length, n + 2);
  const shown: string[] = [];
  for (let i = from; i <= to; i++) shown.push(`${i === n ? '>' : ' '} ${String(i).padStart(4)}: ${lines[i - 1]}`);
  return `input around line ${n}:\n${shown.join('\n')}`;
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = inNetns(opts.netns, argv, opts.netOnly);
  // A renderer that throws half-way must not leave the tool to apply what it got: the tool is
  // killed before its input ends, and the renderer's error is what the caller sees.
  let renderError: { error: unknown } | undefined;
  const input =
    opts.input instanceof StreamedText
      ? streamed(opts.input, (error) => {
          renderError = { error };
          // Called from the stream, after execa() below has returned.
          subprocess.kill('SIGKILL');
        })
      : opts.input;
  const subprocess = execa(full[0], full.slice(1), {
    input,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    env: opts.env,
    cwd: opts.cwd,
    stripFinalNewline: false,
  });
  const r = await subprocess;
  if (renderError) {
    const why = renderError.error instanceof Error ? renderError.error.message : String(renderError.error);
    throw new Error(`rendering the input of ${full.join(' ')} failed, so the command was killed before its input ended: ${why}`, {
      cause: renderError.error,
    });
  }
  const result = { argv: full, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  if (r.exitCode !== 0 && !opts.allowFailure) {
    throw new CommandError(
      full,
      r.exitCode,
      result.stderr || String(r.message ?? ''),
      batchFailureContext(result.stderr, opts.input === undefined ? undefined : String(opts.input)),
    );
  }
  return result;
}

/** A streamed text as a readable stream that renders a chunk only when the one before has gone
 * to the tool (one chunk buffered, not Readable.from's sixteen): the tool parses a chunk while the
 * next is rendered. A render error ends the stream after `failed` has run. */
function streamed(text: StreamedText, failed: (error: unknown) => void): Readable {
  function* chunks(): Generator<string, void, undefined> {
    try {
      yield* text.chunks();
    } catch (error) {
      failed(error);
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
}
