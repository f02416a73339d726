import { createLTTB } from 'downsample';

export interface Point {
  x: number;
  y: number;
}

/** A point, or `null` to break the line (Chart.js draws no segment across a null). */
export type PlotPoint = Point | { x: number; y: null };

/** About one point per horizontal pixel of a 1200-pixel chart: more would not be visible. */
export const DEFAULT_MAX_POINTS = 1000;

const lttb = createLTTB<Point>({ x: 'x', y: 'y' });

/**
 * Largest-triangle-three-buckets: keeps the shape (peaks, drops, the OOM sawtooth) of a long
 * series in at most `maxPoints` points, where plain decimation could skip the one spike that
 * matters. Points must be in x order; the first and last are always kept.
 */
export function downsample(points: readonly Point[], maxPoints = DEFAULT_MAX_POINTS): Point[] {
  // LTTB needs a first, a last and at least one bucket between them.
  const limit = Math.max(3, Math.floor(maxPoints));
  if (points.length <= limit) return [...points];
  return Array.from(lttb(points as Point[], limit));
}

/**
 * Downsamples several runs of points that must not be joined (phases with idle time between
 * them), sharing the point budget in proportion to length, and returns them as one series with
 * a null between runs.
 */
export function downsampleSegments(
  segments: readonly (readonly Point[])[],
  maxPoints = DEFAULT_MAX_POINTS,
): PlotPoint[] {
  const nonEmpty = segments.filter((s) => s.length > 0);
  const total = nonEmpty.reduce((n, s) => n + s.length, 0);
  const budget = Math.max(0, maxPoints - (nonEmpty.length - 1));
  const out: PlotPoint[] = [];
  nonEmpty.forEach((segment, i) => {
    if (i > 0) out.push({ x: (nonEmpty[i - 1]!.at(-1)!.x + segment[0]!.x) / 2, y: null });
    const share = total <= budget ? segment.length : Math.max(3, Math.floor((budget * segment.length) / total));
    out.push(...downsample(segment, share));
  });
  return out;
}

/** Splits a series wherever consecutive points are further apart than `maxGap` in x. */
export function splitAtGaps(points: readonly Point[], maxGap: number): Point[][] {
  const out: Point[][] = [];
  let current: Point[] = [];
  for (const p of points) {
    const prev = current.at(-1);
    if (prev !== undefined && p.x - prev.x > maxGap) {
      out.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length > 0) out.push(current);
  return out;
}
