/**
 * Samples that follow the work, not only the clock: a burst asks for one at each 1% of its
 * requests, so a burst of a few seconds has as many points as a long one and its shape (growth
 * that goes on, growth that stopped) can be fitted. The sampler's clock ticks go on beside them.
 */

/** Each step of this share of a burst's requests gets a sample. */
export const WORK_SAMPLE_SHARE = 0.01;

/**
 * Never closer than this (and the sampler keeps itself busy at most WORK_SAMPLE_DUTY of the time, sampler.ts): a small burst on a fast machine finishes 1% in a millisecond or two, and
 * a sample (reading /proc, smaps_rollup, /metrics) costs about that much of the target's time.
 */
export const WORK_SAMPLE_MIN_GAP_MS = 20;

/**
 * Turns a burst's progress (requests done of total) into requests for a sample. `sample` returns
 * whether it took one (it does not while another is in flight); `nowMs` is a monotonic clock.
 */
export function workSampler(
  sample: () => boolean,
  nowMs: () => number,
  minGapMs = WORK_SAMPLE_MIN_GAP_MS,
): (done: number, total: number) => void {
  let lastStep = 0;
  let lastAt = -Infinity;
  return (done, total) => {
    if (total <= 0) return;
    const step = Math.floor(done / Math.max(1, Math.ceil(total * WORK_SAMPLE_SHARE)));
    if (step <= lastStep) return;
    const now = nowMs();
    if (now - lastAt < minGapMs) return;
    if (!sample()) return;
    lastStep = step;
    lastAt = now;
  };
}
