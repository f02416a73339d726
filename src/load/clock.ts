import { performance } from 'node:perf_hooks';

/** Seconds since the run started, on a monotonic clock (wall-clock jumps must not bend charts). */
export interface RunClock {
  startedAtMs: number;
  now(): number;
}

export function startClock(): RunClock {
  const origin = performance.now();
  return { startedAtMs: Date.now(), now: () => (performance.now() - origin) / 1000 };
}
