import type { LoadSecond, Sample, SampleFigure } from '../rundir/schema.ts';
import type { Point } from './downsample.ts';

/**
 * Completed requests since the start of the run, at time `t` (seconds): each second of
 * load.ndjson counts the responses completed in the second that ends at its `t`, spread evenly
 * over it. Seconds must be in time order.
 */
export function requestsAt(seconds: readonly LoadSecond[]): (t: number) => number {
  const ends: number[] = [];
  const totals: number[] = [];
  let total = 0;
  for (const s of seconds) {
    total += s.completed;
    ends.push(s.t);
    totals.push(total);
  }
  return (t: number) => {
    // Binary search for the first second that ends at or after t.
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= ends.length) return total;
    const before = lo === 0 ? 0 : totals[lo - 1]!;
    const share = Math.min(1, Math.max(0, t - (ends[lo]! - 1)));
    return before + (totals[lo]! - before) * share;
  };
}

/** A figure of each sample against the requests served when it was taken (scaled by `divisor`). */
export function requestsServed(
  samples: readonly Sample[],
  seconds: readonly LoadSecond[],
  key: SampleFigure,
  divisor: number,
): Point[] {
  const at = requestsAt(seconds);
  return samples.flatMap((s) => {
    const v = s[key];
    return v === undefined ? [] : [{ x: at(s.t), y: v / divisor }];
  });
}
