import { ExitCode, LeakbenchError, type ExitCodeValue } from '../errors.ts';
import type { RunStatus } from '../rundir/schema.ts';

/** The target exited for good during the run. */
export class TargetGone extends Error {}
/** The run directory became unwritable. */
export class WriteFailed extends Error {}

/**
 * One controller for every reason to stop a run early: the user's signal, the target dying,
 * or the run directory becoming unwritable. The load phases and the settle wait listen to it.
 */
export class RunStop {
  private readonly controller = new AbortController();
  private readonly onUserAbort: () => void;

  constructor(private readonly user: AbortSignal) {
    this.onUserAbort = () => this.controller.abort(user.reason);
    user.addEventListener('abort', this.onUserAbort, { once: true });
    if (user.aborted) this.controller.abort(user.reason);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get targetGone(): boolean {
    return this.signal.reason instanceof TargetGone;
  }

  get writeFailed(): boolean {
    return this.signal.reason instanceof WriteFailed;
  }

  abort(reason: TargetGone | WriteFailed): void {
    this.controller.abort(reason);
  }

  /** Stops listening to the user's signal (the run is over). */
  detach(): void {
    this.user.removeEventListener('abort', this.onUserAbort);
  }

  /** How the run ended: a thrown failure first, then the target or the disk, then the user. */
  ending(failure: unknown): { status: RunStatus; endReason?: string; exitCode: ExitCodeValue } {
    const reason = this.signal.reason as unknown;
    if (failure) {
      return {
        status: 'failed',
        endReason: (failure as Error).message,
        exitCode: failure instanceof LeakbenchError ? failure.exitCode : ExitCode.failure,
      };
    }
    if (reason instanceof TargetGone || reason instanceof WriteFailed)
      return { status: 'failed', endReason: reason.message, exitCode: ExitCode.failure };
    if (this.user.aborted)
      return {
        status: 'interrupted',
        endReason: `interrupted by ${String(this.user.reason)}`,
        exitCode: ExitCode.interrupted,
      };
    return { status: 'completed', exitCode: ExitCode.ok };
  }
}
