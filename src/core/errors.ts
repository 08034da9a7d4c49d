/**
 * Errors meant for the user: bad input, a missing file, a wrong setting. The CLI prints the message as one line (no
 * stack) and exits non-zero; the server answers with it. Anything else is a bug and keeps its stack trace.
 *
 * A floor below the CLI says which of its options a fix involves by their API names (`options: ['corpusDir']`), never
 * by CLI flags: only the CLI knows the flags, and adds them to the message (src/cli/error-hints.ts).
 *
 *   throw new UserError('no corpus given', { options: ['corpusDir'] });   // CLI: "no corpus given (--corpus DIR)"
 */
export interface ErrorContext {
  /** The file the error is about. */
  file?: string;
  /** The corpus record (name). */
  record?: string;
  /** The segment (group). */
  segment?: string;
  /** API option names whose value would fix it (the CLI turns them into flags). */
  options?: string[];
  /** A next step the face can spell out in its own terms. */
  hint?: 'create-corpus' | 'read-first';
}

export class UserError extends Error {
  readonly exitCode: number;
  readonly context: ErrorContext;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number } & ErrorContext) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'UserError';
    this.exitCode = options?.exitCode ?? 1;
    const { cause: _c, exitCode: _e, ...context } = options ?? {};
    this.context = context;
  }
}
