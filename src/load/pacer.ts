import { performance } from 'node:perf_hooks';

export { probeCount, scheduledOffsetMs } from './probe-schedule.ts';
import { scheduledOffsetMs } from './probe-schedule.ts';

/**
 * setTimeout wakes within about a millisecond of its time, and later when the machine is busy:
 * it is set this far ahead of the send, and the rest is waited out precisely.
 */
const LEAD_MS = 3;
/** The last stretch is spun: short enough to cost nothing, long enough to cover a futex wake-up. */
const SPIN_MS = 0.1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Resolves at `targetPerfMs`, to within tens of microseconds when the process gets the CPU.
 *
 * The precise part sleeps in Atomics.wait (a futex with a sub-millisecond timeout) rather than
 * spinning: on a shared machine a thread that spins for milliseconds is a CPU hog the scheduler
 * may preempt just before the send, while one that sleeps is woken promptly. Either way the
 * event loop is held for at most LEAD_MS per probe, which at probe rates costs nothing.
 */
export function sleepUntil(targetPerfMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      const rest = targetPerfMs - performance.now() - SPIN_MS;
      if (rest > 0 && !signal?.aborted) Atomics.wait(sleeper, 0, 0, rest);
      while (performance.now() < targetPerfMs && !signal?.aborted) {
        // busy-wait: at most SPIN_MS, plus however late the futex woke
      }
      resolve();
    };
    const wait = targetPerfMs - performance.now() - LEAD_MS;
    const timer = setTimeout(finish, Math.max(0, wait));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls `fire(seq, scheduledPerfMs)` for each probe on schedule; does not wait for the probes. */
export async function pace(
  opts: { rate: number; count: number; startPerfMs: number; signal?: AbortSignal },
  fire: (seq: number, scheduledPerfMs: number) => void,
): Promise<number> {
  let sent = 0;
  for (let seq = 0; seq < opts.count; seq++) {
    const due = opts.startPerfMs + scheduledOffsetMs(seq, opts.rate);
    await sleepUntil(due, opts.signal);
    if (opts.signal?.aborted) break;
    fire(seq, due);
    sent++;
  }
  return sent;
}
