import type { DiagnosedFigure, FigureDiagnosis, RateFit, WindowFigure } from '../diagnosis.ts';
import { FLOOR } from '../retained.ts';
import { THRESHOLDS } from '../thresholds.ts';
import { collectedIn, exitBetween, strongest, type Context, type Decision, type HeldFacts } from './context.ts';

/**
 * Growth at rest: a heap, the live heap, memory outside the runtime or the tasks growing while
 * no load runs (a leak), and the warm-up that a later idle phase no longer shows.
 * Words: verdict-words.ts (heapGrowthWords 'at-rest', shapeWords; discountWords 'warm-up').
 */

export function heapGrowthAtRest(ctx: Context): Decision | undefined {
  for (const key of ctx.profile.heap) {
    const idle = ctx.growing(ctx.fig(key)).filter((w) => w.kind === 'idle' && collectedIn(ctx, key, w));
    if (idle.length > 0) return { class: 'heap-growth', via: 'at-rest', window: strongest(idle), heap: key };
  }
  return undefined;
}

/**
 * Growth at rest that a later idle phase of the same process no longer shows is a warm-up
 * (a fresh process faulting in its heap and code), not a leak: a leak does not stop.
 */
export function stoppedLater(ctx: Context, rss: FigureDiagnosis, w: WindowFigure): boolean {
  if (w.kind !== 'idle') return false;
  const later = flatLater(ctx, rss, w);
  if (!later) return false;
  ctx.discounted.push({ type: 'warm-up', window: w, later });
  return true;
}

/**
 * Growth at rest is a leak, whatever the load did: the first idle window after `burst` (of
 * the same process) in which the live heap, memory outside the runtime or the tasks grew. A
 * per-connection leak under kept-alive load looks like a plateau in the burst and grows with
 * every idle probe. RSS itself counts only without runtime figures: after a burst it goes on
 * rising a little as the runtime touches pages it already holds (+2.2 MiB in 3 s, measured on
 * a Go cache), which its figures tell apart from a leak.
 */
export function grewAtRest(ctx: Context, burst: WindowFigure, held?: number): HeldFacts['grewAtRest'] {
  const p = ctx.profile;
  const own = [p.live, p.outside?.key].filter((k) => k !== undefined && ctx.fig(k) !== undefined);
  const keys = [...(own.length > 0 ? own : [ctx.rssKey]), p.tasks?.key].filter(
    (k): k is DiagnosedFigure => k !== undefined,
  );
  const after = (o: WindowFigure): boolean =>
    o.kind === 'idle' && o.startT >= burst.endT - 1e-9 && !exitBetween(ctx, burst.startT, o.endT);
  for (const key of keys) {
    const f = ctx.fig(key);
    const w = f?.windows.find(
      (o) =>
        after(o) &&
        o.perHour?.trend === 'growing' &&
        !settled(ctx, f, o) &&
        !allocatorOnly(ctx, f, o) &&
        !heldShrank(ctx, f, o),
    );
    if (w) return { window: w, figure: key };
  }
  // The live heap moves only at a GC, and at rest one may not come for minutes. Heap in use
  // is not called growing in a window shorter than a GC cycle (garbage fills it between
  // collections: +3 MiB in 2.8 s of probes and 100 ms scrapes on the cache servers), but one
  // that rose at rest by a good share of what the load left held is more than garbage:
  // measured, a leak of 256 KiB per probe's connection raised it +39.6 MiB (fitted) in a 4 s
  // idle phase with no GC, 54% of what RSS held, while the live heap and RSS stayed flat.
  for (const key of p.live && held !== undefined ? p.heap : []) {
    const w = ctx
      .fig(key)
      ?.windows.find(
        (o) =>
          after(o) &&
          o.perHour?.ok === true &&
          (o.perHour.low ?? 0) > 0 &&
          (o.perHour.rise ?? 0) >= REST_HEAP_SHARE * held!,
      );
    if (w) return { window: w, figure: key };
  }
  return undefined;
}

/**
 * A rise at rest smaller than the smallest increment retained per burst counts (FLOOR), which a
 * later idle window of the same process, fitted as well, no longer shows: the process settling
 * after a burst, not a leak, which grows at every rest. Measured: memory outside the V8 heap rose
 * +1.2 and +1.4 MiB in the 40 s rest after the first burst of two Node.js caches and was flat in
 * every rest after, while no burst retained more than noise. A larger rise stays a leak even
 * when it stops (live data +8 MiB in one rest is kept data, whatever came after).
 */
function settled(ctx: Context, f: FigureDiagnosis, w: WindowFigure): boolean {
  const floor = f.unit === 'bytes' ? FLOOR.bytes : FLOOR.count;
  return (w.perHour?.rise ?? 0) < floor && flatLater(ctx, f, w) !== undefined;
}

/**
 * A rise of RSS at rest that the C allocator explains, not growth: RSS is judged at rest only
 * where the runtime gives no figure for memory outside it (Python), and then a rise under
 * THRESHOLDS.allocatorRestBytes while every heap figure the runtime gives was fitted in the same
 * window and did not grow is the allocator touching memory for new threads (glibc's arenas), not
 * kept data. Without a heap figure (tracemalloc off) nothing says the heap is flat, so RSS alone
 * still decides. Records the discount the words explain, once per window.
 */
export function allocatorOnly(ctx: Context, f: FigureDiagnosis, w: WindowFigure): boolean {
  const rise = w.perHour?.rise;
  if (w.kind !== 'idle' || f.key !== ctx.rssKey || rise === undefined || rise >= THRESHOLDS.allocatorRestBytes)
    return false;
  const heaps = ctx.profile.heap.flatMap((key) => {
    const hw = ctx.windowOf(ctx.fig(key), w.window);
    return hw ? [{ key, fit: hw.perHour }] : [];
  });
  // A managed heap is called flat at rest in a window shorter than its collections' cycle
  // whatever it did (figure-growth.ts minGrowthSpanS): that is no evidence it was flat.
  const flat = (fit: RateFit | undefined): boolean =>
    fit?.ok === true && fit.trend !== 'growing' && !(fit.why ?? '').startsWith('the window is shorter than');
  if (heaps.length === 0 || !heaps.every((h) => flat(h.fit))) return false;
  if (!ctx.discounted.some((x) => x.type === 'allocator-at-rest' && x.window.window === w.window))
    ctx.discounted.push({ type: 'allocator-at-rest', window: w, rise, heaps: heaps.map((h) => h.key) });
  return true;
}

/**
 * Memory outside the runtime rising at rest while the runtime gave heap back: that figure is RSS
 * less what the runtime holds, and when the runtime shrinks its heap the pages it frees leave RSS
 * later than they leave its own count, so the difference steps up without anything new being
 * kept. Measured on a Node.js LRU cache in the corpus: in the 40 s rest after its second burst
 * V8's own idle collection took V8 heap total from 120.3 to 78.6 MiB while RSS fell 3 MiB less,
 * and memory outside the V8 heap "grew" +1.2 MiB (fitted, tau 0.47); what each burst left at rest
 * was bounded in every figure, yet the run failed --fail-on growth. A rise under the floor in a
 * window where the held figure fell by more than the rise is that lag; a larger rise, or one with
 * the runtime's heap steady, still counts. Records the discount the words explain.
 */
export function heldShrank(ctx: Context, f: FigureDiagnosis, w: WindowFigure): boolean {
  const p = ctx.profile;
  const rise = w.perHour?.rise;
  // Where memory outside is measured against the most the runtime ever held (the JVM), a shrink
  // cannot raise it.
  if (w.kind !== 'idle' || f.key !== p.outside?.key || p.outside.heldHighWater || !p.heldFigure) return false;
  if (rise === undefined || rise >= FLOOR.bytes) return false;
  const held = ctx.windowOf(ctx.fig(p.heldFigure), w.window);
  if (held?.start === undefined || held.end === undefined || held.start - held.end <= rise) return false;
  if (!ctx.discounted.some((x) => x.type === 'held-shrank' && x.window.window === w.window))
    ctx.discounted.push({ type: 'held-shrank', window: w, rise, held: p.heldFigure, fell: held.start - held.end });
  return true;
}

/** A later idle window of the same process in which the figure, fitted, did not grow. */
function flatLater(ctx: Context, f: FigureDiagnosis, w: WindowFigure): WindowFigure | undefined {
  return f.windows.find(
    (o) =>
      o.kind === 'idle' &&
      o.startT >= w.endT &&
      o.perHour?.ok === true &&
      o.perHour.trend !== 'growing' &&
      !exitBetween(ctx, w.startT, o.endT),
  );
}

/** Heap in use rising at rest by this share of what RSS holds after the load is not garbage alone. */
export const REST_HEAP_SHARE = 0.25;
