import { median } from 'simple-statistics';
import type { RunData } from '../rundir/read-run.ts';
import { FIGURES, type Sample, type SampleFigure } from '../rundir/schema.ts';
import type { DiagnosedFigure, FigureDiagnosis, RateFit, Trend, WindowFigure } from './diagnosis.ts';
import { formatCount, formatDuration, formatT } from './format.ts';
import { fitTrend, type TrendColumns, type TrendFit } from './growth.ts';
import { MANAGED_HEAPS, type OutsideDef } from './runtime-profiles.ts';
import { THRESHOLDS } from './thresholds.ts';
import { segmentAt, type Window } from './windows.ts';

/** A figure to diagnose: a sampled one, or one derived from several in the same sample. */
interface SeriesDef {
  key: DiagnosedFigure;
  label: string;
  unit: 'bytes' | 'count';
  value: (s: Sample) => number | undefined;
  derivation?: string;
  /** At rest, windows shorter than this (seconds) cannot show growth of this figure. */
  minGrowthSpanS?: number;
}

const HEAP_FIGURES: ReadonlySet<SampleFigure> = new Set(MANAGED_HEAPS);

const SAMPLED: readonly SeriesDef[] = FIGURES.map((f) => ({
  key: f.key,
  label: f.label,
  unit: f.unit,
  value: (s: Sample) => s[f.key],
  ...(HEAP_FIGURES.has(f.key) && { minGrowthSpanS: THRESHOLDS.heapMinSpanS }),
}));

/**
 * Resident memory the runtime cannot account for. RssAnon is preferred: it leaves out the
 * binary's and libraries' pages, which fault in during warm-up and would read as growth.
 * Without it, total RSS (VmRSS, or process_resident_memory_bytes in attach mode) still works,
 * with the file-backed pages as a roughly constant offset.
 */
function outsideSeries(def: OutsideDef, exits: readonly number[]): SeriesDef {
  // Samples come in time order (seriesOf); a restart (an exit) starts a new high-water mark.
  let highWater = -Infinity;
  let exitIndex = 0;
  const heldAt = (s: Sample): number | undefined => {
    const now = def.held(s);
    if (!def.heldHighWater || now === undefined) return now;
    while (exitIndex < exits.length && exits[exitIndex]! <= s.t) {
      exitIndex++;
      highWater = -Infinity;
    }
    highWater = Math.max(highWater, now);
    return highWater;
  };
  return {
    key: def.key,
    label: def.label,
    unit: 'bytes',
    value: (s) => {
      const resident =
        s.rssAnon ??
        (s.vmRss !== undefined && s.rssFile !== undefined ? s.vmRss - s.rssFile : undefined) ??
        s.vmRss ??
        s.processRss;
      const held = heldAt(s);
      if (resident === undefined || held === undefined) return undefined;
      // The runtime's figure counts memory mapped but not yet touched, so a negative difference
      // proves nothing: all of RSS could still be the runtime's. Only what exceeds it is surely outside.
      return Math.max(0, resident - held);
    },
    derivation: def.derivation,
  };
}

/**
 * A figure's samples that have it, as two columns (time, value) in sample order: a report of a
 * long run reads 16 figures of 36,000 samples, and an object per point was most of its garbage.
 */
interface Series {
  t: Float64Array;
  y: Float64Array;
}

function seriesOf(samples: readonly Sample[], def: SeriesDef): Series {
  const t = new Float64Array(samples.length);
  const y = new Float64Array(samples.length);
  let n = 0;
  for (const s of samples) {
    const v = def.value(s);
    if (v !== undefined && Number.isFinite(v)) {
      t[n] = s.t;
      y[n++] = v;
    }
  }
  return { t: t.subarray(0, n), y: y.subarray(0, n) };
}

/** The points of a series within [startT, endT]: views when they are one run (time order), else copies. */
function within(series: Series, startT: number, endT: number): Series {
  const inside = (i: number): boolean => !(series.t[i]! < startT || series.t[i]! > endT);
  const keep: number[] = [];
  for (let i = 0; i < series.t.length; i++) if (inside(i)) keep.push(i);
  if (keep.length === 0 || keep.at(-1)! - keep[0]! === keep.length - 1) {
    const from = keep[0] ?? 0;
    return { t: series.t.subarray(from, from + keep.length), y: series.y.subarray(from, from + keep.length) };
  }
  return { t: Float64Array.from(keep, (i) => series.t[i]!), y: Float64Array.from(keep, (i) => series.y[i]!) };
}

/**
 * Baseline, per-window change and robust growth rates of every sampled figure. Pure.
 * Rates: against time in idle windows (per hour), against completed requests wherever the
 * run recorded them (per 1,000): under load, memory follows requests, not the clock, and a
 * rate per request compares across machines that serve at different speeds.
 */
export function diagnoseFigures(
  data: RunData,
  windows: readonly Window[],
  exits: readonly number[],
  outside?: OutsideDef,
): FigureDiagnosis[] {
  const firstPhaseT = windows[0]?.name === 'run' ? undefined : windows[0]?.startT;
  const firstLoad = windows.find((w) => w.kind === 'burst');
  const out: FigureDiagnosis[] = [];
  for (const info of outside ? [...SAMPLED, outsideSeries(outside, exits)] : SAMPLED) {
    const series = seriesOf(data.samples, info);
    const count = series.t.length;
    if (count === 0) continue;
    const { value: baseline, from: baselineFrom, underLoad } = baselineOf(series, firstPhaseT, firstLoad);
    let peak = -Infinity;
    let peakT = 0;
    for (let i = 0; i < count; i++) {
      if (series.y[i]! > peak) {
        peak = series.y[i]!;
        peakT = series.t[i]!;
      }
    }
    const perWindow = windows.map((w) => windowFigure(series, info, w, exits));
    const diag: FigureDiagnosis = {
      key: info.key,
      label: info.label,
      unit: info.unit,
      samples: count,
      baseline,
      baselineFrom,
      ...(underLoad && { baselineUnderLoad: true }),
      peak,
      peakT,
      end: series.y[count - 1]!,
      windows: perWindow,
    };
    const retained = retainedAfterBurst(perWindow, baseline);
    if (retained !== undefined) diag.retainedAfterBurst = retained;
    if (info.derivation) diag.derivation = info.derivation;
    out.push(diag);
  }
  return out;
}

/**
 * Where a figure starts. Never from samples under load: a figure whose first value comes late (a
 * gctrace line is printed at the first collection, which may fall in the burst) would otherwise
 * take its baseline from the load's own heap, and what the load kept would read as the start.
 */
function baselineOf(
  series: Series,
  firstPhaseT: number | undefined,
  firstLoad: Window | undefined,
): { value: number; from: string; underLoad?: true } {
  const before: number[] = [];
  if (firstPhaseT !== undefined)
    for (let i = 0; i < series.t.length; i++) if (series.t[i]! < firstPhaseT) before.push(series.y[i]!);
  if (before.length >= THRESHOLDS.baselineSamples) {
    return {
      value: median(before),
      from: `median of the ${before.length} samples before the first phase`,
    };
  }
  let atRest = series.t.length;
  if (firstLoad !== undefined) {
    atRest = 0;
    while (atRest < series.t.length && series.t[atRest]! < firstLoad.startT) atRest++;
  }
  if (atRest === 0) {
    return {
      value: series.y[0]!,
      underLoad: true,
      from: `the first sample (${formatT(series.t[0]!)}, under load in ${firstLoad!.name}): none was taken before the load`,
    };
  }
  const first = Array.from(series.y.subarray(0, Math.min(atRest, THRESHOLDS.baselineSamples)));
  const cut = first.length < THRESHOLDS.baselineSamples && atRest < series.t.length;
  if (cut) {
    return {
      value: median(first),
      from:
        first.length === 1
          ? `the only sample before ${firstLoad!.name}`
          : `median of the ${first.length} samples before ${firstLoad!.name}`,
    };
  }
  return {
    value: median(first),
    from: first.length === 1 ? 'the first sample' : `median of the first ${first.length} samples`,
  };
}

/** The end of the last idle window that comes after a burst, against the baseline. */
function retainedAfterBurst(windows: readonly WindowFigure[], baseline: number): number | undefined {
  const burstAt = windows.findIndex((w) => w.kind === 'burst');
  if (burstAt < 0) return undefined;
  const after = windows.slice(burstAt + 1).filter((w) => w.kind === 'idle' && w.end !== undefined);
  const last = after.at(-1);
  return last === undefined ? undefined : last.end! - baseline;
}

function windowFigure(series: Series, info: SeriesDef, w: Window, exits: readonly number[]): WindowFigure {
  const { t, y } = within(series, w.startT, w.endT);
  const n = t.length;
  const out: WindowFigure = { window: w.name, kind: w.kind, startT: w.startT, endT: w.endT, samples: n };
  if (w.requests !== undefined) out.requests = w.requests;
  if (w.requestsFrom !== undefined) out.requestsFrom = w.requestsFrom;
  if (n > 0) {
    out.start = y[0]!;
    out.end = median(Array.from(y.subarray(Math.max(0, n - THRESHOLDS.endSamples))));
    out.peak = y.reduce((m, v) => Math.max(m, v), -Infinity);
    out.change = out.end - out.start;
  }
  const segment = t.map((v) => segmentAt(v, exits));
  if (w.kind === 'idle' || !w.requestsAt) {
    out.perHour = rateFit({ x: t.map((v) => v / 3600), y, segment }, 'per-hour', info.unit, info.minGrowthSpanS);
  }
  if (w.requestsAt) {
    const at = w.requestsAt;
    out.per1k = rateFit({ x: t.map((v) => at(v) / 1000), y, segment }, 'per-1k-requests', info.unit);
  }
  return out;
}

/** One fit, its second-half fit, and the call: growing, flat or falling. */
export function rateFit(
  points: TrendColumns,
  basis: RateFit['basis'],
  unit: 'bytes' | 'count',
  minGrowthSpanS?: number,
): RateFit {
  const minSpan = basis === 'per-hour' ? THRESHOLDS.minIdleSpanS / 3600 : THRESHOLDS.minBurstKRequests;
  const fit = fitTrend(points, { minPoints: THRESHOLDS.minFitPoints, minSpan });
  if (!fit.ok) return { basis, ok: false, reason: notEnoughReason(fit.points, fit.span, basis), points: fit.points };
  const late = fitTrend(secondHalf(points), { minPoints: THRESHOLDS.minLatePoints, minSpan: minSpan / 2 });
  const call = judge(fit, late.ok ? late : undefined, basis, unit);
  if (
    call.trend === 'growing' &&
    basis === 'per-hour' &&
    minGrowthSpanS !== undefined &&
    fit.span * 3600 < minGrowthSpanS
  ) {
    call.trend = 'flat';
    call.why = `the window is shorter than ${formatDuration(minGrowthSpanS)}: inside a GC cycle heap in use only rises, and at rest a cycle can last 2 minutes`;
  }
  const out: RateFit = {
    basis,
    ok: true,
    points: fit.points,
    rate: fit.slope,
    low: fit.slopeLow,
    high: fit.slopeHigh,
    tau: round(fit.tau, 3),
    pValue: fit.pValue,
    rise: fit.rise,
    trend: call.trend,
  };
  if (late.ok) out.lateRate = late.slope;
  if (call.why) out.why = call.why;
  return out;
}

function notEnoughReason(points: number, span: number, basis: RateFit['basis']): string {
  if (points < THRESHOLDS.minFitPoints)
    return `${points} sample${points === 1 ? '' : 's'} in the window; at least ${THRESHOLDS.minFitPoints} are needed`;
  return basis === 'per-hour'
    ? `the window covers ${formatDuration(span * 3600)}; at least ${formatDuration(THRESHOLDS.minIdleSpanS)} is needed`
    : `${formatCount(span * 1000)} requests completed in the window; at least ${formatCount(THRESHOLDS.minBurstKRequests * 1000)} are needed`;
}

/** The later half of each segment (by x): where a warm-up has levelled off and a leak has not. */
function secondHalf({ x, y, segment }: TrendColumns): TrendColumns {
  const bounds = new Map<number, { lo: number; hi: number }>();
  for (let i = 0; i < x.length; i++) {
    const b = bounds.get(segment[i]!);
    if (b === undefined) bounds.set(segment[i]!, { lo: Math.min(Infinity, x[i]!), hi: Math.max(-Infinity, x[i]!) });
    else {
      b.lo = Math.min(b.lo, x[i]!);
      b.hi = Math.max(b.hi, x[i]!);
    }
  }
  const keep: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const b = bounds.get(segment[i]!)!;
    if (x[i]! >= (b.lo + b.hi) / 2) keep.push(i);
  }
  const pick = (from: ArrayLike<number>): Float64Array => {
    const out = new Float64Array(keep.length);
    for (let k = 0; k < keep.length; k++) out[k] = from[keep[k]!]!;
    return out;
  };
  return { x: pick(x), y: pick(y), segment: pick(segment) };
}

/**
 * Growth needs all of: a confidence interval above zero, most pairs rising (tau), a rate and a
 * total rise above noise, and a second half that still rises. Any one alone is fooled by
 * something common in memory series: autocorrelation (CI, tau), a tiny but steady drift
 * (rate), a single step (rise), a warm-up or high-water climb (persistence).
 */
function judge(
  fit: TrendFit,
  late: TrendFit | undefined,
  basis: RateFit['basis'],
  unit: 'bytes' | 'count',
): { trend: Trend; why?: string } {
  const minRate =
    unit === 'bytes'
      ? basis === 'per-hour'
        ? THRESHOLDS.idleBytesPerHour
        : THRESHOLDS.burstBytesPer1k
      : basis === 'per-hour'
        ? THRESHOLDS.idleGoroutinesPerHour
        : THRESHOLDS.burstGoroutinesPer1k;
  const minRise =
    unit === 'bytes'
      ? basis === 'per-hour'
        ? THRESHOLDS.minRiseBytes
        : THRESHOLDS.burstMinRiseBytes
      : THRESHOLDS.minGoroutineRise;
  if (fit.slope > 0) {
    const persistent = late === undefined || late.slope >= THRESHOLDS.persistenceRatio * fit.slope;
    const failed =
      fit.slopeLow <= 0
        ? 'its 95% confidence interval includes no growth'
        : fit.tau < THRESHOLDS.minTau
          ? `Kendall's tau ${fit.tau.toFixed(2)} is below ${THRESHOLDS.minTau}: samples rise and fall about as often`
          : fit.slope < minRate
            ? 'the rate is below the threshold for growth'
            : fit.rise < minRise
              ? 'the fitted rise over the window is within noise'
              : !persistent
                ? `it levelled off: the second half of the window grew at less than ${Math.round(THRESHOLDS.persistenceRatio * 100)}% of the whole window's rate`
                : undefined;
    return failed === undefined ? { trend: 'growing' } : { trend: 'flat', why: failed };
  }
  if (fit.slopeHigh < 0 && fit.tau <= -THRESHOLDS.minTau && -fit.rise >= minRise) return { trend: 'falling' };
  return { trend: 'flat' };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
