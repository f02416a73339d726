import { median } from 'simple-statistics';
import type { RunData } from '../../rundir/read-run.ts';
import type { RunEvent, SampleFigure } from '../../rundir/schema.ts';
import { buildSetting } from '../../rundir/go-build.ts';
import type {
  DiagnosedFigure,
  FigureDiagnosis,
  HeapProfileDiff,
  PlateauFacts,
  RateFit,
  WindowFigure,
} from '../diagnosis.ts';
import { hasRuntimeMetrics, type RuntimeProfile, type VerdictClass } from '../runtime-profiles.ts';
import type { SmapsReport } from '../smaps.ts';
import { THRESHOLDS } from '../thresholds.ts';
import type { Window } from '../windows.ts';
import { retainedPerWork, type FigureRetained, type RetainedReport } from '../retained.ts';

/**
 * What every decision reads, computed once (Context), the facts the decisions hand to the words
 * (Discount, HeldFacts, LiveShape, Decision), and the small helpers they share. No decision here.
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
  /** Memory retained per burst, when a burst was followed by a rest (retained.ts). */
  readonly retained: RetainedReport | undefined;
  /** Retained per burst could not decide (two bursts, the second retaining less, beyond noise). */
  retainedUndecided: FigureRetained | undefined;

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
    this.retained =
      this.rss &&
      retainedPerWork({
        data,
        profile,
        figures,
        rss: this.rss,
        exitsBetween: (from, to) => exitBetween(this, from, to),
      });
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
  | { type: 'allocator-at-rest'; window: WindowFigure; rise: number; heaps: DiagnosedFigure[] }
  | { type: 'held-shrank'; window: WindowFigure; rise: number; held: DiagnosedFigure; fell: number }
  | { type: 'no-idle-after'; window: WindowFigure; what: 'heap' | 'rss' };

/** What the load left behind, measured at the end of the idle phase after it. */
export interface HeldFacts {
  burst: WindowFigure;
  idleAfter?: WindowFigure;
  rose: number;
  held: number;
  tasks?: number;
  /** `collected`: read on a sample taken right after a full collection the pack asked for (live memory). */
  heap?: { key: DiagnosedFigure; kept: number; collected?: boolean };
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

/** A decision from the rules that read the curve's shape within phases. */
export type ShapeDecision =
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

/**
 * A decision from memory retained per unit of work (decide/retained-per-work.ts): a run of two
 * bursts or more, each followed by a rest. `figure` is the figure that decided.
 */
export type RetainedDecision = { via: 'retained'; retained: RetainedReport; figure?: FigureRetained } & (
  | { class: 'task-growth' | 'outside-growth' | 'rss-growth' | 'high-water-held' | 'stable' }
  | { class: 'not-enough-data'; decides: string }
  | { class: 'heap-growth'; heap: DiagnosedFigure }
  | { class: 'plateau'; plateau: PlateauFacts }
);

export type Decision = ShapeDecision | RetainedDecision;

export function isRetainedDecision(d: Decision): d is RetainedDecision {
  return 'via' in d && d.via === 'retained';
}

/** Compile-time check that every class has a decision shape. */
export type DecisionClass = Decision['class'] & VerdictClass;

/** True when no phase was long enough for a rate and the decision rests on what was held. */
export function noFits(ctx: Context): boolean {
  return (ctx.rss?.windows ?? []).every((w) => !ctx.primary(w)?.ok);
}

/**
 * False when the heap can only fall at a full collection (V8's old space) and none happened
 * in `w`: its rise there is garbage not yet collected, whatever its slope. Measured: a
 * Node.js server that keeps nothing, 20,000 requests in 19 s on a busy machine, V8 heap used
 * +2.1 MiB with no major GC.
 */
export function collectedIn(ctx: Context, key: DiagnosedFigure, w: WindowFigure): boolean {
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
export function collectedSince(ctx: Context, key: DiagnosedFigure, t: number): boolean {
  const c = ctx.profile.cycles;
  if (!c?.heldNeedsCollection || c.heap !== key) return true;
  const counts = ctx.data.samples.filter((s) => s[c.count] !== undefined);
  const atEnd = counts.filter((s) => s.t <= t + 1e-9).at(-1)?.[c.count];
  const last = counts.at(-1)?.[c.count];
  return atEnd === undefined || last === undefined || last > atEnd;
}

/** The last idle window after `w` of the same process, with an end value. */
export function idleAfter(ctx: Context, f: FigureDiagnosis, w: WindowFigure): WindowFigure | undefined {
  return f.windows
    .filter(
      (o) =>
        o.kind === 'idle' && o.startT >= w.endT - 1e-9 && o.end !== undefined && !exitBetween(ctx, w.startT, o.endT),
    )
    .at(-1);
}

export function exitBetween(ctx: Context, from: number, to: number): boolean {
  return ctx.unexpectedExits.some((e) => e.t > from && e.t < to);
}

export function strongest(windows: readonly WindowFigure[]): WindowFigure {
  return [...windows].sort((a, b) => riseOf(b) - riseOf(a))[0]!;
}

export function riseOf(w: WindowFigure): number {
  return (w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour)?.rise ?? 0;
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

/**
 * -race from what is known of the build, best first: the build info read from the running
 * executable (`build -race=true`), the bundled variant, the flags the pack built it with.
 */
export function raceFact(data: RunData): RaceFact {
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
