// Leaving a verb with an exit code after its message was printed.
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
