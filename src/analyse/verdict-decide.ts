import { median } from 'simple-statistics';
import type { RunData } from '../rundir/read-run.ts';
import { DEFAULT_GOGC, type RunEvent, type SampleFigure } from '../rundir/schema.ts';
import { buildSetting } from '../rundir/go-build.ts';
import type {
  DiagnosedFigure,
  FigureDiagnosis,
  HeapProfileDiff,
  PlateauFacts,
  RateFit,
  WindowFigure,
} from './diagnosis.ts';
import { fitTrend } from './growth.ts';
import { hasRuntimeMetrics, type RuntimeProfile, type VerdictClass } from './runtime-profiles.ts';
import type { MappingKind, SmapsReport } from './smaps.ts';
import { THRESHOLDS } from './thresholds.ts';
import type { Window } from './windows.ts';

/**
 * The decision: which kind of growth a run shows, from its fitted figures, in the roles of
 * the runtime profile (live heap, memory outside the runtime, tasks). Pure and without words:
 * it returns facts, and verdict-words.ts says them. The rules run in order (RULES, below); the
 * first that decides wins.
 */

/** What the decision and the words need, computed once. */
export class Context {
  readonly rss: FigureDiagnosis | undefined;
  readonly rssKey: SampleFigure | undefined;
  readonly unexpectedExits: RunEvent[];
  readonly race: RaceFact;
  readonly hasRuntimeMetrics: boolean;
  /** Growth found and set aside on the way to the decision: the words explain each. */
  readonly discounted: Discount[] = [];
  /** Load phases whose RSS growth stopped before the load ended. */
  readonly stoppedUnderLoad = new Set<string>();

  constructor(
    readonly data: RunData,
    readonly profile: RuntimeProfile,
    readonly figures: readonly FigureDiagnosis[],
    readonly windows: readonly Window[],
    readonly smaps: SmapsReport | undefined,
    readonly profiles: HeapProfileDiff | undefined,
  ) {
    this.rssKey = RSS_PREFERENCE.find((k) => (this.fig(k)?.samples ?? 0) >= 2);
    this.rss = this.rssKey === undefined ? undefined : this.fig(this.rssKey);
    const lastSampleT = data.samples.at(-1)?.t ?? 0;
    // An exit after the last sample is the pack stopping its target at the end of the run.
    this.unexpectedExits = data.events.filter((e) => e.type === 'target-exit' && (e.t < lastSampleT || isOomKill(e)));
    this.race = raceFact(data);
    this.hasRuntimeMetrics = hasRuntimeMetrics(profile, data.samples);
  }

  fig(key: DiagnosedFigure | undefined): FigureDiagnosis | undefined {
    return key === undefined ? undefined : this.figures.find((f) => f.key === key);
  }

  /** The fit that speaks for a window: per request under load, per hour at rest. */
  primary(w: WindowFigure): RateFit | undefined {
    return w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour;
  }

  windowOf(f: FigureDiagnosis | undefined, name: string): WindowFigure | undefined {
    return f?.windows.find((w) => w.window === name);
  }

  growing(f: FigureDiagnosis | undefined): WindowFigure[] {
    return (f?.windows ?? []).filter((w) => this.primary(w)?.trend === 'growing');
  }

  /** The fitted rise of a figure over `w`, on the basis RSS was fitted on (else its change). */
  riseIn(key: DiagnosedFigure | undefined, w: WindowFigure, basis: RateFit['basis']): number | undefined {
    const fw = this.windowOf(this.fig(key), w.window);
    const fit = fw && (basis === 'per-1k-requests' ? fw.per1k : fw.perHour);
    return fit?.ok ? fit.rise : fw?.change;
  }

  growsIn(key: DiagnosedFigure | undefined, w: WindowFigure, basis: RateFit['basis']): boolean {
    const fw = this.windowOf(this.fig(key), w.window);
    return (basis === 'per-1k-requests' ? fw?.per1k : fw?.perHour)?.trend === 'growing';
  }
}

/**
 * The OS's view of the process, best first: VmRSS is exact; process_resident_memory_bytes is
 * the same number through the target; cgroup memory also counts page cache; PSS and RssAnon
 * are parts of RSS, still better than nothing.
 */
export const RSS_PREFERENCE: readonly SampleFigure[] = ['vmRss', 'processRss', 'cgroupMemory', 'pss', 'rssAnon'];

/** -race: true with the line that says so, false when the build is known to be without it. */
export interface RaceFact {
  race: boolean | undefined;
  /** "build -race=true" from the build info, or "the bundled race variant". */
  quote?: string;
}

export type Discount =
  | { type: 'warm-up'; window: WindowFigure; later: WindowFigure }
  | {
      type: 'stopped-under-load';
      window: WindowFigure;
      rate: number;
      tailRate: number;
      tailFrom: number;
      figure?: DiagnosedFigure;
    }
  | { type: 'rss-given-back'; window: WindowFigure; rise: number; after: WindowFigure; kept: number }
  | {
      type: 'heap-given-back';
      window: WindowFigure;
      heap: DiagnosedFigure;
      rise: number;
      after: WindowFigure;
      baseline: number;
    }
  | { type: 'runtime-filling'; window: WindowFigure; rise: number; outside: number }
  | { type: 'uncollected-at-rest'; window: WindowFigure; rise: number; outside: number }
  | { type: 'no-idle-after'; window: WindowFigure; what: 'heap' | 'rss' };

/** What the load left behind, measured at the end of the idle phase after it. */
export interface HeldFacts {
  burst: WindowFigure;
  idleAfter?: WindowFigure;
  rose: number;
  held: number;
  tasks?: number;
  heap?: { key: DiagnosedFigure; kept: number };
  outside?: number;
  /** The load's RSS growth levelled off while the load went on. */
  levelledOff: boolean;
  /** The burst's fit read as levelled off, but on too few samples to call a plateau: how many. */
  tooFewToLevel?: number;
  /** The live heap's shape in the burst, where sampled (LiveShape), and what it keeps at the end. */
  live?: LiveShape;
  liveKept?: number;
  /** The heap that liveKept needs at the target's GOGC (its goal): live × (1 + GOGC/100). */
  liveNeeds?: number;
  /** An idle window after the load in which RSS, the live heap or the tasks grew: no plateau. */
  grewAtRest?: { window: WindowFigure; figure: DiagnosedFigure };
  /** A heap left out of `heap`: no collection ran after the load, so its level counts garbage. */
  heapUncollected?: DiagnosedFigure;
}

/**
 * What the live heap (the heap after a collection, profile.live) did in a load phase: it rose
 * and stopped while the load went on (a cache filling), or it still rose across the collections
 * of the phase's later half (a leak). Undefined when not sampled, when it did not rise by
 * minRiseBytes, or when no two collections were seen in the phase's later half: the figure
 * changes only at a GC, so between them it says nothing (RSS's shape decides then).
 */
export interface LiveShape {
  figure: DiagnosedFigure;
  state: 'stopped' | 'growing';
  /** Its rise over the phase, and its mean rate per 1,000 requests. */
  rise: number;
  rate: number;
  /**
   * Its rate across the collections seen in the phase's later half (the samples where it
   * changed), from request lastFrom to lastTo of the phase.
   */
  lastRate: number;
  lastFrom: number;
  lastTo: number;
  /** How many collections of the phase's later half the rate is read from (the median slope between them). */
  collections: number;
  /** When it reached 90% of its rise (seconds since run start). */
  stopT?: number;
}

export type Decision =
  | { class: 'not-enough-data'; missing: 'samples' | 'rss' | 'fits' }
  | { class: 'task-growth'; via: 'window'; windows: WindowFigure[] }
  | { class: 'task-growth'; via: 'held'; held: HeldFacts }
  | { class: 'heap-growth'; via: 'window'; window: WindowFigure; heap: DiagnosedFigure | 'smaps'; rise?: number }
  | { class: 'heap-growth'; via: 'at-rest'; window: WindowFigure; heap: DiagnosedFigure }
  | { class: 'heap-growth'; via: 'held'; held: HeldFacts; heap: DiagnosedFigure }
  | { class: 'outside-growth'; via: 'window'; window: WindowFigure; by: 'metrics' | 'smaps'; rise?: number }
  | { class: 'outside-growth'; via: 'held'; held: HeldFacts }
  | { class: 'rss-growth'; window: WindowFigure }
  | { class: 'plateau'; held: HeldFacts; plateau: PlateauFacts }
  | { class: 'high-water-held'; held: HeldFacts }
  | { class: 'stable' };

/** Compile-time check that every class has a decision shape. */
export type DecisionClass = Decision['class'] & VerdictClass;

/** True when no phase was long enough for a rate and the decision rests on what was held. */
export function noFits(ctx: Context): boolean {
  return (ctx.rss?.windows ?? []).every((w) => !ctx.primary(w)?.ok);
}

type Rule = (ctx: Context) => Decision | undefined;

/** In order: missing data, tasks, RSS growth and where, heap growth at rest, what is held. */
const RULES: readonly Rule[] = [missingData, taskGrowth, rssGrowth, heapGrowthAtRest, heldAfterLoad];

export function decide(ctx: Context): Decision {
  for (const rule of RULES) {
    const d = rule(ctx);
    if (d) return d;
  }
  return { class: 'stable' };
}

function missingData(ctx: Context): Decision | undefined {
  if (ctx.rss === undefined)
    return { class: 'not-enough-data', missing: ctx.data.samples.length < 2 ? 'samples' : 'rss' };
  if (noFits(ctx)) return heldAfterLoad(ctx) ?? { class: 'not-enough-data', missing: 'fits' };
  return undefined;
}

function taskGrowth(ctx: Context): Decision | undefined {
  const windows = ctx.growing(ctx.fig(ctx.profile.tasks?.key));
  return windows.length > 0 ? { class: 'task-growth', via: 'window', windows } : undefined;
}

function rssGrowth(ctx: Context): Decision | undefined {
  const rss = ctx.rss!;
  const growing = ctx
    .growing(rss)
    .filter(
      (w) =>
        !stoppedLater(ctx, rss, w) &&
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
function whereItGrew(ctx: Context, w: WindowFigure): Decision | undefined {
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
function heapTookMemory(
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
 * False when the heap can only fall at a full collection (V8's old space) and none happened
 * in `w`: its rise there is garbage not yet collected, whatever its slope. Measured: a
 * Node.js server that keeps nothing, 20,000 requests in 19 s on a busy machine, V8 heap used
 * +2.1 MiB with no major GC.
 */
function collectedIn(ctx: Context, key: DiagnosedFigure, w: WindowFigure): boolean {
  const c = ctx.profile.cycles;
  if (!c || c.heap !== key) return true;
  const counts = ctx.windowOf(ctx.fig(c.count), w.window);
  if (counts?.start === undefined) return true;
  const last = ctx.data.samples.filter((s) => s.t >= w.startT && s.t <= w.endT && s[c.count] !== undefined).at(-1)?.[
    c.count
  ];
  return last !== undefined && last > counts.start;
}

/**
 * False when the profile says the heap's level after the load needs a collection to mean live
 * data (the JVM) and its collection count did not rise after `t`.
 */
function collectedSince(ctx: Context, key: DiagnosedFigure, t: number): boolean {
  const c = ctx.profile.cycles;
  if (!c?.heldNeedsCollection || c.heap !== key) return true;
  const counts = ctx.data.samples.filter((s) => s[c.count] !== undefined);
  const atEnd = counts.filter((s) => s.t <= t + 1e-9).at(-1)?.[c.count];
  const last = counts.at(-1)?.[c.count];
  return atEnd === undefined || last === undefined || last > atEnd;
}

function heapGrowthAtRest(ctx: Context): Decision | undefined {
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
function stoppedLater(ctx: Context, rss: FigureDiagnosis, w: WindowFigure): boolean {
  if (w.kind !== 'idle') return false;
  const later = rss.windows.find(
    (o) =>
      o.kind === 'idle' &&
      o.startT >= w.endT &&
      o.perHour?.ok === true &&
      o.perHour.trend !== 'growing' &&
      !exitBetween(ctx, w.startT, o.endT),
  );
  if (!later) return false;
  ctx.discounted.push({ type: 'warm-up', window: w, later });
  return true;
}

/**
 * Growth under load that stopped while the load went on: the last quarter of the phase's
 * requests no longer raises RSS (less than persistenceRatio of the phase's rate). The
 * second-half test of every fit misses a plateau reached only halfway: a Go heap's goal
 * (GOGC) lets RSS follow live data with a lag, so the second half still rises while the
 * last quarter is flat. A leak keeps its rate to the end.
 */
function stoppedUnderLoad(ctx: Context, w: WindowFigure): boolean {
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
function tailFit(ctx: Context, key: SampleFigure, w: WindowFigure): { slope: number; from: number } | undefined {
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

/** Heap in use rising at rest by this share of what RSS holds after the load is not garbage alone. */
const REST_HEAP_SHARE = 0.25;

/** Median of the slopes (per 1,000 requests) between every two points, a Theil–Sen estimate. */
function medianSlope(points: readonly { x: number; y: number }[]): number {
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
const LATER_HALF = 0.5;

/**
 * RSS growth under load that the live heap carried and that stopped while the load went on,
 * judged on the live heap rather than on RSS: a Go heap's RSS follows its goal, twice the live
 * data at GOGC=100, and keeps climbing long after the live data stopped (a cache full at
 * request 30,000 of 60,000 left RSS rising to the burst's end). Growth that the runtime's
 * figures put outside the heap is not the heap's to excuse.
 */
function liveStoppedUnderLoad(ctx: Context, w: WindowFigure): boolean {
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
const TAIL_SHARE = 0.25;

/** A plateau needs a fit's worth of samples (minFitPoints) in the burst's later half. */
const PLATEAU_MIN_POINTS = 2 * THRESHOLDS.minFitPoints;

/**
 * Growth under load that a later idle phase of the same process gives back (most of it gone
 * at its end) was the load's working memory, whatever its slope during the load.
 */
function givenBack(ctx: Context, rss: FigureDiagnosis, w: WindowFigure): boolean {
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
function heapGivenBack(ctx: Context, key: DiagnosedFigure, w: WindowFigure, heapRise: number): boolean {
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

/** The last idle window after `w` of the same process, with an end value. */
function idleAfter(ctx: Context, f: FigureDiagnosis, w: WindowFigure): WindowFigure | undefined {
  return f.windows
    .filter(
      (o) =>
        o.kind === 'idle' && o.startT >= w.endT - 1e-9 && o.end !== undefined && !exitBetween(ctx, w.startT, o.endT),
    )
    .at(-1);
}

function exitBetween(ctx: Context, from: number, to: number): boolean {
  return ctx.unexpectedExits.some((e) => e.t > from && e.t < to);
}

export function strongest(windows: readonly WindowFigure[]): WindowFigure {
  return [...windows].sort((a, b) => riseOf(b) - riseOf(a))[0]!;
}

function riseOf(w: WindowFigure): number {
  return (w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour)?.rise ?? 0;
}

/**
 * RSS that rose under load and stays up, judged by what holds it once the load is over:
 * tasks still alive or live heap still referenced are leaks the load left behind (a leak per
 * request is flat at rest, when no requests come) unless the growth stopped while the load
 * went on (a cache filling to its size: a plateau); memory outside the runtime that stays is
 * native; memory the runtime holds while its live heap is back down is a high-water mark.
 */
function heldAfterLoad(ctx: Context): Decision | undefined {
  const held = heldFacts(ctx);
  if (!held) return undefined;
  if (held.tasks !== undefined && held.tasks >= THRESHOLDS.minGoroutineRise)
    return { class: 'task-growth', via: 'held', held };
  if ((held.heap && held.heap.kept >= THRESHOLDS.heapShare * held.held) || liveHolds(held)) {
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
 * Live data that rose under load, stopped, and is still there at the end holds what RSS holds,
 * although less than half of it: the runtime sizes its heap to live data × (1 + GOGC/100),
 * so at Go's default a cache of 40 MiB keeps about 80 MiB resident.
 */
function liveHolds(held: HeldFacts): boolean {
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
function gogcOf(ctx: Context): number {
  const said = ctx.data.samples.filter((s) => s.goGcPercent !== undefined).at(-1)?.goGcPercent;
  return said !== undefined && said > 0 ? said : DEFAULT_GOGC;
}

function heldFacts(ctx: Context): HeldFacts | undefined {
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
    const w = ctx.fig(key)?.windows.find((o) => after(o) && o.perHour?.trend === 'growing');
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

function plateau(ctx: Context, held: HeldFacts, holder: PlateauFacts['holder']): Decision {
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

/** Median of a figure's last few samples (for a derived figure, its last window's end). */
export function tailOf(ctx: Context, f: FigureDiagnosis): number {
  if (f.key === 'outsideGo' || f.key === 'outsideRuntime') return f.windows.at(-1)?.end ?? f.end;
  return tailMedian(ctx.data.samples, f.key);
}

/** Median of the figure's last few samples: "where it ends", without trusting one sample. */
export function tailMedian(samples: RunData['samples'], key: SampleFigure): number {
  const values = samples.flatMap((s) => (s[key] === undefined ? [] : [s[key]]));
  return median(values.slice(-THRESHOLDS.endSamples));
}

/** Where smaps puts the growth, in Go's layout: in the Go heap arena, or outside it. */
function smapsAttribution(ctx: Context): 'go-heap' | 'outside' | undefined {
  const s = ctx.smaps;
  if (!s || s.overall.rssChange < THRESHOLDS.minRiseBytes) return undefined;
  const by = (kinds: readonly MappingKind[]): number =>
    s.overall.kinds.filter((k) => kinds.includes(k.kind)).reduce((sum, k) => sum + Math.max(0, k.rssChange), 0);
  const total = s.overall.rssChange;
  if (by(['go-heap']) >= THRESHOLDS.smapsShare * total) return 'go-heap';
  if (by(['anonymous', 'race-shadow', 'race-meta-shadow']) >= THRESHOLDS.smapsShare * total) return 'outside';
  return undefined;
}

/**
 * -race from what is known of the build, best first: the build info read from the running
 * executable (`build -race=true`), the bundled variant, the flags the pack built it with.
 */
function raceFact(data: RunData): RaceFact {
  const t = data.run.target;
  const go = t.identity?.goBuild;
  if (go) {
    const v = buildSetting(go, '-race');
    return v === 'true' ? { race: true, quote: 'build -race=true' } : { race: false };
  }
  if (t.variant === 'race') return { race: true, quote: 'the bundled race variant, built with go build -race' };
  if (t.buildFlags?.includes('-race')) return { race: true, quote: `built with ${t.buildFlags.join(' ')}` };
  if (t.variant === 'plain' || (t.buildFlags && t.buildFlags.length > 0)) return { race: false };
  return { race: undefined };
}

export function isOomKill(e: RunEvent): boolean {
  return e.oomKill === true || e.code === 137 || e.signal === 'SIGKILL';
}
