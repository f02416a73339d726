import { performance } from 'node:perf_hooks';

/**
 * Probe k is due at start + k/rate, computed from the start every time (never from the
 * previous send), so a late probe does not push the ones after it: the schedule is the
 * clock's, as a kubelet's ticker is.
 */
export function probeCount(rate: number, durationMs: number): number {
  // A small epsilon keeps 10m at 1/s at exactly 600 despite float error.
  return Math.max(1, Math.floor((durationMs / 1000) * rate + 1e-9));
}

export function scheduledOffsetMs(seq: number, rate: number): number {
  return (seq * 1000) / rate;
}

/** setTimeout is good to about a millisecond; spin the last stretch for sub-millisecond sends. */
const SPIN_MS = 1.5;

export function sleepUntil(targetPerfMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      while (performance.now() < targetPerfMs && !signal?.aborted) {
        // busy-wait: at most SPIN_MS per probe
      }
      resolve();
    };
    const wait = targetPerfMs - performance.now() - SPIN_MS;
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
