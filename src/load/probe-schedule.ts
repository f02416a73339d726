/**
 * Probe k is due at start + k/rate, computed from the start every time (never from the
 * previous send), so a late probe does not push the ones after it: the schedule is the
 * clock's, as a kubelet's ticker is. Pure and free of Node APIs: the k6 soak script paces its
 * probes after the burst with it too.
 */
export function probeCount(rate: number, durationMs: number): number {
  // A small epsilon keeps 10m at 1/s at exactly 600 despite float error.
  return Math.max(1, Math.floor((durationMs / 1000) * rate + 1e-9));
}

export function scheduledOffsetMs(seq: number, rate: number): number {
  return (seq * 1000) / rate;
}
