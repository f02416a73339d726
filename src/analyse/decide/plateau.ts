import { DEFAULT_GOGC } from '../../rundir/schema.ts';
import type { DiagnosedFigure, FigureDiagnosis, PlateauFacts, WindowFigure } from '../diagnosis.ts';
import { THRESHOLDS } from '../thresholds.ts';
import { grewAtRest } from './at-rest.ts';
import { collectedSince, tailOf, type Context, type Decision, type HeldFacts, type LiveShape } from './context.ts';
import { liveShape } from './live-shape.ts';

/**
 * What the load left held, and whether it is a plateau (growth that stopped under load, held
 * by live data or native memory), growth held after the load, or a high-water mark.
 * Words: verdict-words.ts (plateauWords, highWaterWords, and the 'held' branches).
 */

/**
 * RSS that rose under load and stays up, judged by what holds it once the load is over:
 * tasks still alive or live heap still referenced are leaks the load left behind (a leak per
 * request is flat at rest, when no requests come) unless the growth stopped while the load
 * went on (a cache filling to its size: a plateau); memory outside the runtime that stays is
 * native; memory the runtime holds while its live heap is back down is a high-water mark.
 */
export function heldAfterLoad(ctx: Context): Decision | undefined {
  const held = heldFacts(ctx);
  if (!held) return undefined;
  if (held.tasks !== undefined && held.tasks >= THRESHOLDS.minGoroutineRise)
    return { class: 'task-growth', via: 'held', held };
  // A live heap still rising across its collections to the load's end is data the load keeps,
  // whatever the heap-in-use figure says (a Go server read by gctrace alone has none; seen: a
  // leak of 8 KiB per request called high-water-held).
  const liveGrew = held.live?.state === 'growing' && (held.liveKept ?? 0) >= THRESHOLDS.heapShare * held.held;
  const heapHolds =
    held.heap !== undefined &&
    held.heap.kept >= heapShareOf(held.heap) * held.held &&
    (!held.heap.collected || held.heap.kept >= THRESHOLDS.highWaterBytes);
  if (heapHolds || liveHolds(held) || liveGrew) {
    if (held.levelledOff) return plateau(ctx, held, 'live-heap');
    return { class: 'heap-growth', via: 'held', held, heap: held.heap?.key ?? ctx.profile.live! };
  }
  if (held.outside !== undefined && held.outside >= THRESHOLDS.goRuntimeShare * held.held) {
    if (held.levelledOff) return plateau(ctx, held, 'outside-runtime');
    return { class: 'outside-growth', via: 'held', held };
  }
  // Without runtime figures, live and kept cannot be told apart; a climb that stopped under
  // load is the plateau's shape, and the words say what was not measured.
  if (!ctx.hasRuntimeMetrics && held.levelledOff) return plateau(ctx, held, 'unknown');
  return { class: 'high-water-held', held };
}

/**
 * How much of what RSS holds a heap must keep to be what holds it. Read at a random moment, a
 * heap counts garbage, so it must hold half. Read right after a full collection the pack asked
 * for, it is live data, and a runtime keeps room for it beside it: a JVM keeps the heap it
 * committed under load (seen: 100 MiB live after a collection at the end of a watch, RSS holding
 * 411 MiB, called high-water-held), Go sizes its heap to twice its live data.
 */
function heapShareOf(heap: NonNullable<HeldFacts['heap']>): number {
  return heap.collected ? COLLECTED_HEAP_SHARE : THRESHOLDS.heapShare;
}

/** Live data after a collection holds what RSS holds from this share on (a heap up to 4× its live data). */
const COLLECTED_HEAP_SHARE = 0.2;

/**
 * The heap above its baseline on the last sample taken right after a collection the pack asked
 * for, after `t` (the burst's end); undefined without one. It wins over the rest's median, which
 * counts garbage (seen: a JVM keeping nothing, Java heap used +58.2 MiB at the end of the rest,
 * 2.7 MiB right after the collection, called heap-growth).
 */
function liveAfterCollection(ctx: Context, key: DiagnosedFigure, t: number): number | undefined {
  const f = ctx.fig(key);
  if (!f || key === 'outsideGo' || key === 'outsideRuntime') return undefined;
  const s = ctx.data.samples.filter((x) => x.t > t && x.collectedBy !== undefined && x[key] !== undefined).at(-1);
  if (!s) return undefined;
  return s[key]! - f.baseline;
}

/**
 * Live data that rose under load, stopped, and is still there at the end holds what RSS holds,
 * although less than half of it: the runtime sizes its heap to live data × (1 + GOGC/100),
 * so at Go's default a cache of 40 MiB keeps about 80 MiB resident.
 */
export function liveHolds(held: HeldFacts): boolean {
  if (
    held.live?.state === 'stopped' &&
    held.liveKept !== undefined &&
    held.liveKept >= (1 - THRESHOLDS.heapShare) * held.live.rise
  )
    return true;
  // Without a shape (fewer than two collections late in the burst: a full cache makes little
  // garbage), the live data kept still holds what RSS holds once sized to its goal. Measured: a
  // cache of 40,000 × 1 KiB, live heap +40.5 MiB at the end, RSS held +86.6 MiB, heap in use
  // +42.7 MiB (49%): called high-water-held when judged on heap in use alone.
  return held.liveNeeds !== undefined && held.liveNeeds >= THRESHOLDS.heapShare * held.held;
}

/** The target's GOGC, where its client says (go_gc_gogc_percent), else Go's default. */
export function gogcOf(ctx: Context): number {
  const said = ctx.data.samples.filter((s) => s.goGcPercent !== undefined).at(-1)?.goGcPercent;
  return said !== undefined && said > 0 ? said : DEFAULT_GOGC;
}

export function heldFacts(ctx: Context): HeldFacts | undefined {
  const rss = ctx.rss;
  if (!rss) return undefined;
  const burst = rss.windows
    .filter((w) => w.kind === 'burst')
    .sort((a, b) => (b.peak ?? -Infinity) - (a.peak ?? -Infinity))[0];
  if (!burst) return undefined;
  const after = rss.windows
    .filter((w) => w.kind === 'idle' && w.startT >= burst.endT - 1e-9 && w.end !== undefined)
    .at(-1);
  const peakFrom = Math.max(
    ...rss.windows.filter((w) => w.startT >= burst.startT && w.peak !== undefined).map((w) => w.peak!),
  );
  const endOf = (f: FigureDiagnosis): number =>
    after ? (ctx.windowOf(f, after.window)?.end ?? f.end) : tailOf(ctx, f);
  const rose = peakFrom - rss.baseline;
  const held = endOf(rss) - rss.baseline;
  if (!(rose >= THRESHOLDS.highWaterBytes && held >= THRESHOLDS.highWaterBytes)) return undefined;
  const kept = (key: DiagnosedFigure | undefined): number | undefined => {
    const f = ctx.fig(key);
    return f ? endOf(f) - f.baseline : undefined;
  };
  const out: HeldFacts = { burst, rose, held, levelledOff: false };
  const live = liveShape(ctx, burst);
  if (live) out.live = live;
  const liveKept = kept(ctx.profile.live);
  if (liveKept !== undefined) {
    out.liveKept = liveKept;
    out.liveNeeds = liveKept * (1 + gogcOf(ctx) / 100);
  }
  const grew = grewAtRest(ctx, burst, held);
  if (grew) out.grewAtRest = grew;
  out.levelledOff = levelledOff(ctx, burst, live, grew);
  const fit = ctx.primary(burst);
  if (
    !out.levelledOff &&
    !grew &&
    live?.state !== 'growing' &&
    fit?.ok &&
    fit.trend !== 'growing' &&
    fit.points < PLATEAU_MIN_POINTS
  )
    out.tooFewToLevel = fit.points;
  if (after) out.idleAfter = after;
  const tasks = kept(ctx.profile.tasks?.key);
  if (tasks !== undefined) out.tasks = tasks;
  const heaps = ctx.profile.heap.flatMap((key) => {
    const live = liveAfterCollection(ctx, key, burst.endT);
    if (live !== undefined) return [{ key, kept: live, collected: true }];
    if (!collectedSince(ctx, key, burst.endT)) {
      out.heapUncollected = key;
      return [];
    }
    const k = kept(key);
    return k === undefined ? [] : [{ key, kept: k }];
  });
  const heap = heaps.sort((a, b) => b.kept - a.kept)[0];
  if (heap) out.heap = heap;
  const outside = kept(ctx.profile.outside?.key);
  if (outside !== undefined) out.outside = outside;
  return out;
}

/**
 * The load's growth stopped while the load went on, and nothing grows at rest afterwards.
 * Stopped: the live heap, where sampled, rose and stopped; else the burst's RSS fit did not
 * call it growing (its second half no longer rose) or its last quarter was flat. A live heap
 * still rising at the burst's end is growth whatever RSS did (RSS can sit flat under a heap
 * goal set high by an earlier phase).
 */
export function levelledOff(
  ctx: Context,
  burst: WindowFigure,
  live: LiveShape | undefined,
  grew: HeldFacts['grewAtRest'],
): boolean {
  const fit = ctx.primary(burst);
  if (!fit?.ok || live?.state === 'growing' || grew) return false;
  const stopped = ctx.stoppedUnderLoad.has(burst.window) || live?.state === 'stopped';
  if (fit.trend === 'growing' && !stopped) return false;
  // "Stopped growing" is a claim about the burst's later half, and it needs as many samples
  // there as any fit does. A burst of a second or two holds a handful, and a leak whose last
  // few samples happen to bunch (the race runtime maps its records a MiB at a time) read as
  // levelled off: a -race build was once called a plateau from 4 samples in 0.8 s.
  return stopped || fit.points >= PLATEAU_MIN_POINTS;
}

export function plateau(ctx: Context, held: HeldFacts, holder: PlateauFacts['holder']): Decision {
  const w = held.burst;
  const window = ctx.windows.find((x) => x.name === w.window);
  const points = ctx.data.samples.flatMap((s) =>
    s.t >= w.startT && s.t <= w.endT && s[ctx.rssKey!] !== undefined ? [{ t: s.t, y: s[ctx.rssKey!]! }] : [],
  );
  const start = w.start ?? ctx.rss!.baseline;
  const level = w.end ?? start;
  // Where it stopped: the first sample at 90% of the way from the phase's start to its level.
  const mark = start + 0.9 * (level - start);
  // The live heap says when the data stopped growing; RSS follows its goal with a lag.
  const stopT =
    (held.live?.state === 'stopped' ? held.live.stopT : undefined) ?? points.find((p) => p.y >= mark)?.t ?? w.endT;
  const facts: PlateauFacts = {
    window: w.window,
    stoppedAfterS: stopT - w.startT,
    phaseS: w.endT - w.startT,
    level: level - ctx.rss!.baseline,
    held: held.held,
    holder,
  };
  if (window?.requestsAt) {
    facts.stoppedAfterRequests = Math.round(window.requestsAt(stopT));
    if (window.requests !== undefined) facts.phaseRequests = window.requests;
  }
  if (held.heap) {
    facts.heapFigure = held.heap.key;
    facts.heapHeld = held.heap.kept;
  }
  return { class: 'plateau', held, plateau: facts };
}

/** A plateau needs a fit's worth of samples (minFitPoints) in the burst's later half. */
export const PLATEAU_MIN_POINTS = 2 * THRESHOLDS.minFitPoints;
