/**
 * Errors meant for the user: the CLI prints the message as one line (no stack) and exits non-zero.
 * Throw these (or subclasses) for bad input; anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'UserError';
    this.exitCode = options?.exitCode ?? 1;
  }
}
