import type { SampleFigure } from '../../rundir/schema.ts';
import type { DiagnosedFigure, RateFit, WindowFigure } from '../diagnosis.ts';
import { fitTrend } from '../growth.ts';
import { THRESHOLDS } from '../thresholds.ts';
import { allocatorOnly, stoppedLater } from './at-rest.ts';
import { collectedIn, riseOf, type Context, type Decision } from './context.ts';
import { givenBack, heapGivenBack } from './given-back.ts';
import { liveShape } from './live-shape.ts';
import { smapsAttribution } from './outside.ts';

/**
 * Growth under load: RSS grows in a phase, and where (a heap, outside the runtime, or unknown),
 * unless it stopped under load, was given back or was the runtime filling memory it holds.
 * Words: verdict-words.ts (heapGrowthWords, outsideGrowthWords, rssGrowthWords; discountWords
 * for 'stopped-under-load', 'runtime-filling', 'uncollected-at-rest').
 */

export function rssGrowth(ctx: Context): Decision | undefined {
  const rss = ctx.rss!;
  const growing = ctx
    .growing(rss)
    .filter(
      (w) =>
        !stoppedLater(ctx, rss, w) &&
        !allocatorOnly(ctx, rss, w) &&
        !liveStoppedUnderLoad(ctx, w) &&
        !stoppedUnderLoad(ctx, w) &&
        !givenBack(ctx, rss, w),
    );
  // Strongest first; a window whose growth the runtime accounts for (a burst filling the heap
  // it keeps) must not hide a weaker one that it does not (growth at rest after it).
  for (const w of [...growing].sort((a, b) => riseOf(b) - riseOf(a))) {
    const d = whereItGrew(ctx, w);
    if (d) return d;
  }
  return undefined;
}

/**
 * RSS grows in `w`: say where. Undefined when the growth is inside memory the runtime already
 * holds while neither live heap nor tasks grow (the runtime settling into its working set,
 * measured on the plain Go build's first minutes), which later rules judge as held or stable.
 */
export function whereItGrew(ctx: Context, w: WindowFigure): Decision | undefined {
  const fit = ctx.primary(w)!;
  const rise = fit.rise!;
  const p = ctx.profile;
  const outside = p.outside ? ctx.riseIn(p.outside.key, w, fit.basis) : undefined;
  if (outside !== undefined && outside >= THRESHOLDS.goRuntimeShare * rise) {
    // Native memory that objects of the managed heap own (Node's sockets and parsers, a JVM's
    // direct buffers) is freed only when a collection finds them dead: at rest, with no
    // collection in the window, its growth is garbage as likely as a leak. Measured: a Node.js
    // server that keeps nothing, RSS outside the V8 heap +754 KiB over 15 idle probes in 2.8 s
    // after a burst, no major GC.
    if (w.kind === 'idle' && ctx.profile.cycles && !collectedIn(ctx, ctx.profile.cycles.heap, w)) {
      ctx.discounted.push({ type: 'uncollected-at-rest', window: w, rise, outside });
      return undefined;
    }
    return { class: 'outside-growth', via: 'window', window: w, by: 'metrics', rise: outside };
  }
  // A heap carries growth only if it grows itself: inside one GC cycle it always rises, and a
  // share of a rise that the next collection takes back is no evidence.
  for (const key of p.heap) {
    if (!collectedIn(ctx, key, w)) continue;
    const heapRise =
      ctx.growsIn(key, w, fit.basis) || heapTookMemory(ctx, key, w, fit.basis, rise)
        ? ctx.riseIn(key, w, fit.basis)
        : undefined;
    if (heapRise === undefined) continue;
    // A growing heap whose runtime took the RSS growth from the OS for it (Go sys, V8 heap
    // total) carries it, even when collection lag keeps the heap's own share below half.
    const held = ctx.riseIn(p.heldFigure, w, fit.basis);
    // Memory the runtime accounts for outside its heap (the JVM's direct buffers) is weighed
    // against the growth the heap does not explain: a JVM under load also touches the heap it
    // committed (measured: 20,000 requests with 8 KiB direct buffers kept, RSS +472 MiB of which
    // direct buffers +163 MiB and Java heap used, garbage included, +183 MiB).
    if (p.offHeap?.includes(key as SampleFigure)) {
      const managed = p.heap
        .filter((k) => !p.offHeap!.includes(k) && ctx.growsIn(k, w, fit.basis))
        .reduce((sum, k) => sum + Math.max(0, ctx.riseIn(k, w, fit.basis) ?? 0), 0);
      if (
        ctx.growsIn(key, w, fit.basis) &&
        heapRise >= THRESHOLDS.heapShare * (rise - managed) &&
        !heapGivenBack(ctx, key, w, heapRise)
      ) {
        return { class: 'heap-growth', via: 'window', window: w, heap: key, rise: heapRise };
      }
      continue;
    }
    if (
      heapRise < THRESHOLDS.heapShare * rise &&
      !(
        ctx.growsIn(key, w, fit.basis) &&
        held !== undefined &&
        held >= THRESHOLDS.heapShare * rise &&
        outside !== undefined &&
        outside < THRESHOLDS.goRuntimeShare * rise
      )
    )
      continue;
    if (heapGivenBack(ctx, key, w, heapRise)) return undefined;
    return { class: 'heap-growth', via: 'window', window: w, heap: key, rise: heapRise };
  }
  if (outside !== undefined) {
    ctx.discounted.push({ type: 'runtime-filling', window: w, rise, outside });
    return undefined;
  }
  // No runtime figures: only smaps can say where, and only in Go's layout.
  const where = p.smapsLayout === 'go' ? smapsAttribution(ctx) : undefined;
  if (where === 'go-heap') return { class: 'heap-growth', via: 'window', window: w, heap: 'smaps' };
  if (where === 'outside') return { class: 'outside-growth', via: 'window', window: w, by: 'smaps' };
  return { class: 'rss-growth', window: w };
}

/**
 * A heap at rest in a window too short to span its GC cycles is not called growing by its own
 * fit; but when the runtime had to take new memory from the OS for it over the same window
 * (Go sys, V8 heap total rising with RSS), the rise is not a cycle filling memory already
 * held: the live heap needs more.
 */
export function heapTookMemory(
  ctx: Context,
  key: DiagnosedFigure,
  w: WindowFigure,
  basis: RateFit['basis'],
  rssRise: number,
): boolean {
  const fw = ctx.windowOf(ctx.fig(key), w.window);
  const fit = basis === 'per-1k-requests' ? fw?.per1k : fw?.perHour;
  if (!fit?.ok || fit.trend !== 'flat' || !fit.why?.startsWith('the window is shorter than')) return false;
  const held = ctx.riseIn(ctx.profile.heldFigure, w, basis);
  return held !== undefined && held >= THRESHOLDS.heapShare * rssRise;
}

/**
 * Growth under load that stopped while the load went on: the last quarter of the phase's
 * requests no longer raises RSS (less than persistenceRatio of the phase's rate). The
 * second-half test of every fit misses a plateau reached only halfway: a Go heap's goal
 * (GOGC) lets RSS follow live data with a lag, so the second half still rises while the
 * last quarter is flat. A leak keeps its rate to the end.
 */
export function stoppedUnderLoad(ctx: Context, w: WindowFigure): boolean {
  const fit = ctx.primary(w);
  if (w.kind !== 'burst' || !fit?.ok || fit.basis !== 'per-1k-requests') return false;
  const tail = tailFit(ctx, ctx.rssKey!, w);
  if (!tail || tail.slope >= THRESHOLDS.persistenceRatio * fit.rate!) return false;
  ctx.discounted.push({
    type: 'stopped-under-load',
    window: w,
    rate: fit.rate!,
    tailRate: tail.slope,
    tailFrom: tail.from,
  });
  ctx.stoppedUnderLoad.add(w.window);
  return true;
}

/** Theil–Sen fit of a sampled figure over the last quarter of a load phase's requests. */
export function tailFit(ctx: Context, key: SampleFigure, w: WindowFigure): { slope: number; from: number } | undefined {
  const window = ctx.windows.find((x) => x.name === w.window);
  if (w.kind !== 'burst' || !window?.requestsAt || !window.requests) return undefined;
  const at = window.requestsAt;
  const from = (1 - TAIL_SHARE) * window.requests;
  const points = ctx.data.samples.flatMap((s) => {
    const y = s[key];
    if (y === undefined || s.t < w.startT || s.t > w.endT) return [];
    const x = at(s.t);
    return x >= from ? [{ x: x / 1000, y, segment: ctx.unexpectedExits.filter((e) => e.t < s.t).length }] : [];
  });
  const tail = fitTrend(points, { minPoints: THRESHOLDS.minFitPoints });
  return tail.ok ? { slope: tail.slope, from } : undefined;
}

/**
 * RSS growth under load that the live heap carried and that stopped while the load went on,
 * judged on the live heap rather than on RSS: a Go heap's RSS follows its goal, twice the live
 * data at GOGC=100, and keeps climbing long after the live data stopped (a cache full at
 * request 30,000 of 60,000 left RSS rising to the burst's end). Growth that the runtime's
 * figures put outside the heap is not the heap's to excuse.
 */
export function liveStoppedUnderLoad(ctx: Context, w: WindowFigure): boolean {
  const fit = ctx.primary(w);
  const live = liveShape(ctx, w);
  if (!fit?.ok || fit.basis !== 'per-1k-requests' || live?.state !== 'stopped') return false;
  const outside = ctx.profile.outside ? ctx.riseIn(ctx.profile.outside.key, w, fit.basis) : undefined;
  if (outside !== undefined && outside >= THRESHOLDS.goRuntimeShare * fit.rise!) return false;
  ctx.discounted.push({
    type: 'stopped-under-load',
    window: w,
    rate: live.rate,
    tailRate: live.lastRate,
    tailFrom: live.lastFrom,
    figure: live.figure,
  });
  ctx.stoppedUnderLoad.add(w.window);
  return true;
}

/** The last quarter of a load phase's requests: where a plateau reached halfway is flat. */
export const TAIL_SHARE = 0.25;
