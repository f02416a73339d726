import { median } from 'simple-statistics';
import { THRESHOLDS } from '../thresholds.ts';
import type { WindowFigure } from '../diagnosis.ts';
import type { Context, LiveShape } from './context.ts';

/**
 * The live heap's shape in a load phase, read at its collections: did the data the heap keeps
 * stop rising while the load went on, or rise to the end. Read by growth under load and by the
 * plateau; said by verdict-words.ts (shapeWords, liveSpan).
 */

/**
 * The live heap's shape in a load phase (LiveShape), read at its collections: the samples
 * where the figure changed. Not a fit over the phase's tail: between two collections the
 * figure is flat whatever the heap does, and a heap leak whose last GC came at request 42,000
 * of 60,000 read as flat over the last quarter (measured). Between two collections a leak
 * always shows its rate; a cache full before both shows none. The mean rate over the phase
 * is its rise over the phase's requests: a cache full in the first seconds is one early step.
 */
export function liveShape(ctx: Context, w: WindowFigure): LiveShape | undefined {
  const key = ctx.profile.live;
  const fw = ctx.windowOf(ctx.fig(key), w.window);
  const window = ctx.windows.find((x) => x.name === w.window);
  if (key === undefined || !fw || fw.start === undefined || fw.end === undefined || !w.requests || !window?.requestsAt)
    return undefined;
  const at = window.requestsAt;
  const collections: { x: number; y: number; t: number }[] = [];
  let previous: number | undefined;
  for (const s of ctx.data.samples) {
    const y = s[key];
    if (y === undefined || s.t < w.startT || s.t > w.endT) continue;
    if (previous !== undefined && y !== previous) collections.push({ x: at(s.t), y, t: s.t });
    previous = y;
  }
  // The rise is counted from the phase's first collection: before it the figure is the last
  // idle GC's, and data kept at rest before the load (a leak per idle probe's connection)
  // would read as a rise under load that then stopped.
  const start = collections[0]?.y;
  if (start === undefined) return undefined;
  const rise = Math.max(...collections.map((c) => c.y)) - start;
  if (rise < THRESHOLDS.minRiseBytes) return undefined;
  // Only collections in the later half: a pair straddling a fill (one GC before a cache was
  // full, one after) reads as growth, and scarce collections in a short burst leave only that
  // (measured: a 60,000-request burst with its last two GCs at requests 27,407 and 42,575).
  const half = LATER_HALF * w.requests;
  const late = collections.filter((c) => c.x >= half);
  if (late.length < 2 || late.at(-1)!.x <= late[0]!.x) return undefined;
  const rate = rise / (w.requests / 1000);
  // The median slope over every pair of them: the goal a GC sets counts what was allocated
  // during its mark as live, so one collection can read high (a full cache's last two read
  // +201 KiB per 1,000 requests, 39% of the phase's rate, and it was called growing).
  const lastRate = medianSlope(late);
  const state = lastRate < THRESHOLDS.persistenceRatio * rate ? 'stopped' : 'growing';
  const shape: LiveShape = {
    figure: key,
    state,
    rise,
    rate,
    lastRate,
    lastFrom: late[0]!.x,
    lastTo: late.at(-1)!.x,
    collections: late.length,
  };
  const mark = start + 0.9 * rise;
  const stop = collections.find((c) => c.y >= mark);
  if (stop) shape.stopT = stop.t;
  return shape;
}

/** Median of the slopes (per 1,000 requests) between every two points, a Theil–Sen estimate. */
export function medianSlope(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx > 0) slopes.push((points[j]!.y - points[i]!.y) / (dx / 1000));
    }
  }
  return median(slopes);
}

/** A collection seen in the later half of the phase's requests: something was observed late. */
export const LATER_HALF = 0.5;
