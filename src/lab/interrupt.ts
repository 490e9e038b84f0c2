// Ctrl-C and SIGTERM: the running step stops at its next command and teardown runs in `finally`.

/** Aborted by SIGINT/SIGTERM: apply and probes stop at the next command. */
export const interruption = new AbortController();

export function checkInterrupted(): void {
  if (interruption.signal.aborted) throw new Error('interrupted');
}
