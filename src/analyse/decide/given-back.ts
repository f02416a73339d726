import type { DiagnosedFigure, FigureDiagnosis, WindowFigure } from '../diagnosis.ts';
import { THRESHOLDS } from '../thresholds.ts';
import { idleAfter, type Context } from './context.ts';

/**
 * Given back: growth under load that a later idle phase returns was the load's working memory.
 * Words: verdict-words.ts discountWords ('rss-given-back', 'heap-given-back', 'no-idle-after').
 */

/**
 * Growth under load that a later idle phase of the same process gives back (most of it gone
 * at its end) was the load's working memory, whatever its slope during the load.
 */
export function givenBack(ctx: Context, rss: FigureDiagnosis, w: WindowFigure): boolean {
  if (w.kind !== 'burst' || w.start === undefined) return false;
  const rise = ctx.primary(w)!.rise!;
  const after = idleAfter(ctx, rss, w);
  if (!after) {
    ctx.discounted.push({ type: 'no-idle-after', window: w, what: 'rss' });
    return false;
  }
  const kept = after.end! - w.start;
  if (kept >= THRESHOLDS.givenBackShare * rise) return false;
  ctx.discounted.push({ type: 'rss-given-back', window: w, rise, after, kept });
  return true;
}

/**
 * A heap that grew under load and was given back in a later idle phase was live data of the
 * load (queued requests, buffers), not a leak; what RSS keeps of it is a high-water mark.
 */
export function heapGivenBack(ctx: Context, key: DiagnosedFigure, w: WindowFigure, heapRise: number): boolean {
  if (w.kind !== 'burst') return false;
  const heap = ctx.fig(key)!;
  const after = idleAfter(ctx, heap, w);
  if (!after) {
    ctx.discounted.push({ type: 'no-idle-after', window: w, what: 'heap' });
    return false;
  }
  if (after.end! - heap.baseline >= (1 - THRESHOLDS.heapShare) * heapRise) return false;
  ctx.discounted.push({
    type: 'heap-given-back',
    window: w,
    heap: key,
    rise: heapRise,
    after,
    baseline: heap.baseline,
  });
  return true;
}
