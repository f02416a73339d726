/**
 * One error type for everything the user can fix. The entry point catches it, prints the
 * message as one line and exits with `exitCode`; anything else is a bug and prints a stack.
 */
export const ExitCode = {
  ok: 0,
  /** The run failed: target died, could not start, could not be reached. */
  failure: 1,
  /** Bad flags or values: nothing was started. */
  usage: 2,
  /** A stored run directory (or one of its files) cannot be read. */
  badRunDir: 3,
  /** `--fail-on growth` and the verdict is a kind of memory growth (the run itself worked). */
  memoryGrowth: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class LeakbenchError extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failure) {
    super(message);
    this.name = 'LeakbenchError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends LeakbenchError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** A socket or HTTP client error in one word where it has a code (ECONNREFUSED), else its message. */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return e.code ?? e.cause?.code ?? e.message;
}
