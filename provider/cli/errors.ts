/** A failure already reported to the user: just exit with this code. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** A mistake in how the command was called: printed as one line, exit 1, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
