// Typed errors carrying an exit code and a hint. Commands throw; the bin is the one exit point.

export const EXIT = { ok: 0, runtime: 1, usage: 2, gateFailed: 99 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class ToolkitError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode: ExitCode; hint?: string; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.exitCode = opts.exitCode;
    this.hint = opts.hint;
  }
}

/** Bad flags, bad config, bad arguments: nothing was changed. Exit 2. */
export class UsageError extends ToolkitError {
  override name = 'UsageError';
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: EXIT.usage, hint, cause });
  }
}

/** The work could not be done (Docker unreachable, a service failed to start). Exit 1. */
export class RuntimeError extends ToolkitError {
  override name = 'RuntimeError';
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: EXIT.runtime, hint, cause });
  }
}

/** A performance gate or threshold failed. Exit 99 (k6's convention). */
export class GateFailedError extends ToolkitError {
  override name = 'GateFailedError';
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.gateFailed, hint });
  }
}
