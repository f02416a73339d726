import { errorFunction, median } from 'simple-statistics';
import { selectRanks } from './order-statistics.ts';
import { fillMulberry32, mulberry32 } from './seeded-random.ts';

export { mulberry32 };

/**
 * Robust trend fitting for memory series: the Theil–Sen slope (the median of the slopes
 * between every pair of points) with Kendall's tau and the Mann–Kendall test as its measure of
 * confidence, and Sen's distribution-free confidence interval for the slope.
 *
 * Why Theil–Sen and not least squares: memory series carry GC sawtooth, page-sized steps and
 * single wild samples (a scrape that caught a burst of allocations); least squares lets one
 * such point tilt the line, the median of pairwise slopes ignores up to ~29% of them.
 *
 * Why Kendall's tau: it is the statistic Theil–Sen is built on (the share of pairwise slopes
 * that are positive minus the share that are negative), it needs no assumption about the
 * noise, and ties (RSS that does not move for minutes) are handled by tau-b. Its p-value (the
 * Mann–Kendall normal approximation) assumes independent samples; memory samples one second
 * apart are not independent, so the p-value is optimistic. The verdict therefore never rests
 * on it alone: it also asks for a minimum size of effect and for growth that persists into
 * the second half of the window (see verdict.ts).
 *
 * Pure and deterministic: long series are thinned evenly, and when there are too many pairs
 * a fixed-seed sample of them is used, so the same run always gives the same figures.
 */

export interface TrendPoint {
  x: number;
  y: number;
  /**
   * Points are only paired within one segment. A target that was OOM-killed and restarted
   * starts a new segment: a pair across the restart would measure the kill, not the growth.
   */
  segment?: number;
}

export interface TrendOptions {
  /** Fewer points than this (in segments of at least 2) is "not enough data". Default 5. */
  minPoints?: number;
  /** The points must cover at least this much of x (summed over segments). Default 0. */
  minSpan?: number;
  /** Series longer than this are thinned evenly first. Default 2000. */
  maxPoints?: number;
  /**
   * At most this many pairwise slopes are computed, at an even stride. Default 50,000: the
   * median of that many differs from the full set's by far less than the estimator's own
   * spread, and a fit of a 90-minute run stays near 10 ms.
   */
  maxPairs?: number;
}

export interface TrendFit {
  ok: true;
  /** Points given (with finite values, in segments of at least 2). */
  points: number;
  /** Points used after thinning. */
  used: number;
  /** Pairwise slopes computed. */
  pairs: number;
  /** x covered, summed over segments. */
  span: number;
  /** Theil–Sen slope: y units per x unit. */
  slope: number;
  /** Median of y - slope·x over the last segment (the process that is running now). */
  intercept: number;
  /** Sen's 95% confidence interval for the slope. */
  slopeLow: number;
  slopeHigh: number;
  /** Kendall's tau-b in [-1, 1]: 1 when every later point is higher, 0 when there is no order. */
  tau: number;
  /** Two-sided Mann–Kendall p-value for "no trend" (optimistic for autocorrelated samples). */
  pValue: number;
  /** The fitted change over the window: slope × span. */
  rise: number;
  /** Robust spread of the residuals around the fitted lines (1.4826 × median |residual|). */
  noise: number;
}

export interface NotEnoughData {
  ok: false;
  /** In words, e.g. "3 points; at least 5 are needed". */
  reason: string;
  points: number;
  span: number;
}

export type TrendResult = TrendFit | NotEnoughData;

/**
 * The same points as three columns, for callers with long series: the report fits 15 figures of
 * 36,000 samples several times each, and an object per point was a third of its analysis time.
 */
export interface TrendColumns {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  segment: ArrayLike<number>;
}

const DEFAULTS = { minPoints: 5, minSpan: 0, maxPoints: 2000, maxPairs: 50_000 } as const;

/** z of the two-sided 95% interval. */
const Z_975 = 1.959963984540054;

/** Scales a median absolute deviation to a standard deviation for normal noise. */
const MAD_TO_SD = 1.4826;

/** Fits a trend to `points`. Never throws: too little data is a value saying what is missing. */
export function fitTrend(points: readonly TrendPoint[] | TrendColumns, options: TrendOptions = {}): TrendResult {
  const opts = { ...DEFAULTS, ...options };
  const segments = toSegments(isColumns(points) ? points : columnsOf(points));
  const n = segments.reduce((s, g) => s + g.xs.length, 0);
  const span = segments.reduce((s, g) => s + (g.xs.at(-1)! - g.xs[0]!), 0);
  if (n < opts.minPoints)
    return notEnough(`${n} point${n === 1 ? '' : 's'}; at least ${opts.minPoints} are needed`, n, span);
  if (!(span > 0) || span < opts.minSpan)
    return notEnough(
      `the points span ${fmt(span)}; at least ${fmt(Math.max(opts.minSpan, Number.MIN_VALUE))} is needed`,
      n,
      span,
    );

  const thinned = segments.map((g) =>
    thin(g, Math.max(2, Math.round((g.xs.length * opts.maxPoints) / Math.max(n, opts.maxPoints)))),
  );
  const used = thinned.reduce((s, g) => s + g.xs.length, 0);
  const pairs = samplePairs(thinned, opts.maxPairs);
  const slopes = pairs.slopes;
  if (slopes.length === 0) return notEnough('no two points differ in x', n, span);

  const variance = thinned.reduce((v, g) => v + mannKendallVariance(g), 0);
  // The sampled pairs stand for all of them: scale S up to the full pair count.
  const s = (pairs.concordant - pairs.discordant) * (pairs.total / pairs.taken);
  const z = variance > 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  const pValue = variance > 0 ? Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) : 1;
  const untiedX = pairs.taken - pairs.tiedX;
  const untiedY = pairs.taken - pairs.tiedY;
  const tau = untiedX > 0 && untiedY > 0 ? (pairs.concordant - pairs.discordant) / Math.sqrt(untiedX * untiedY) : 0;

  // Sen (1968): the interval's ends are order statistics of the slopes at ranks (N ∓ C)/2,
  // N counted over all pairs; with sampled pairs the ranks scale to the sample.
  const c = Z_975 * Math.sqrt(variance) * (slopes.length / Math.max(1, pairs.total - pairs.tiedXTotal));
  const lowRank = clamp(Math.floor((slopes.length - c) / 2) - 1, 0, slopes.length - 1);
  const highRank = clamp(Math.ceil((slopes.length + c) / 2), 0, slopes.length - 1);
  // Only four ranks of the slopes are read: selecting them is a fraction of sorting them all.
  const mid = slopes.length >> 1;
  const odd = slopes.length % 2 === 1;
  const at = selectRanks(slopes, odd ? [mid, lowRank, highRank] : [mid - 1, mid, lowRank, highRank]);
  const slope = odd ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  const slopeLow = at(lowRank);
  const slopeHigh = at(highRank);

  const intercepts = thinned.map(({ xs, ys }) => median(mapPoints(xs, ys, (x, y) => y - slope * x)));
  const residuals = thinned.flatMap(({ xs, ys }, g) =>
    mapPoints(xs, ys, (x, y) => Math.abs(y - (slope * x + intercepts[g]!))),
  );

  return {
    ok: true,
    points: n,
    used,
    pairs: slopes.length,
    span,
    slope,
    intercept: intercepts.at(-1)!,
    slopeLow: Math.min(slopeLow, slope),
    slopeHigh: Math.max(slopeHigh, slope),
    tau,
    pValue,
    rise: slope * span,
    noise: MAD_TO_SD * median(residuals),
  };
}

function notEnough(reason: string, points: number, span: number): NotEnoughData {
  return { ok: false, reason, points, span };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : String(v);
}

function mapPoints(xs: Float64Array, ys: Float64Array, f: (x: number, y: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i]!, ys[i]!));
  return out;
}

function isColumns(points: readonly TrendPoint[] | TrendColumns): points is TrendColumns {
  return !Array.isArray(points);
}

function columnsOf(points: readonly TrendPoint[]): TrendColumns {
  const n = points.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const segment = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    x[i] = p.x;
    y[i] = p.y;
    segment[i] = p.segment ?? 0;
  }
  return { x, y, segment };
}

/** Finite points grouped by segment in first-seen order, each sorted by x; singletons dropped. */
function toSegments(columns: TrendColumns): Columns[] {
  return contiguousSegments(columns) ?? groupedSegments(columns);
}

/**
 * The usual case, found without grouping or copying: every point finite, each segment one run
 * of points (a restart starts the next), each run already in x order. Undefined otherwise.
 */
function contiguousSegments({ x, y, segment }: TrendColumns): Columns[] | undefined {
  const n = x.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) return undefined;
  const seen = new Set<number>();
  const out: Columns[] = [];
  for (let start = 0; start < n;) {
    const key = segment[start]!;
    let end = start + 1;
    while (end < n && sameKey(segment[end]!, key)) end++;
    // A key seen before is a segment in two runs: the grouping joins them.
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (end - start >= 2) {
      for (let k = start + 1; k < end; k++) if (x[k]! < x[k - 1]!) return undefined;
      out.push({ xs: range(x, start, end), ys: range(y, start, end) });
    }
    start = end;
  }
  return out;
}

/** Map keys compare this way (SameValueZero): NaN is NaN, -0 is 0. */
function sameKey(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/** x[start..end) as a Float64Array: a view when it is one already (only read from), else a copy. */
function range(x: ArrayLike<number>, start: number, end: number): Float64Array {
  if (x instanceof Float64Array) return x.subarray(start, end);
  const out = new Float64Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = x[i]!;
  return out;
}

function groupedSegments({ x, y, segment }: TrendColumns): Columns[] {
  const bySegment = new Map<number, number[]>();
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    const key = segment[i]!;
    let g = bySegment.get(key);
    if (!g) bySegment.set(key, (g = []));
    g.push(i);
  }
  const out: Columns[] = [];
  for (const g of bySegment.values()) {
    if (g.length < 2) continue;
    // Series arrive in x order: the check is one pass, the sort (stable: equal x keep their order) is not.
    if (!isSortedBy(g, x)) g.sort((a, b) => x[a]! - x[b]!);
    const xs = new Float64Array(g.length);
    const ys = new Float64Array(g.length);
    for (let k = 0; k < g.length; k++) {
      xs[k] = x[g[k]!]!;
      ys[k] = y[g[k]!]!;
    }
    out.push({ xs, ys });
  }
  return out;
}

function isSortedBy(indices: readonly number[], x: ArrayLike<number>): boolean {
  for (let i = 1; i < indices.length; i++) if (x[indices[i]!]! < x[indices[i - 1]!]!) return false;
  return true;
}

/** `k` points at evenly spaced indices, first and last always kept. */
function thin(g: Columns, k: number): Columns {
  const len = g.xs.length;
  if (len <= k) return g;
  const xs = new Float64Array(k);
  const ys = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const at = Math.round((i * (len - 1)) / (k - 1));
    xs[i] = g.xs[at]!;
    ys[i] = g.ys[at]!;
  }
  return { xs, ys };
}

interface PairSample {
  slopes: Float64Array;
  /** Pairs in all segments, and how many of them were looked at. */
  total: number;
  taken: number;
  concordant: number;
  discordant: number;
  tiedX: number;
  tiedY: number;
  /** Pairs tied in x over all pairs (estimated from the sample): they have no slope. */
  tiedXTotal: number;
}

/** A segment's points as two arrays of numbers: the pair loops below run millions of times a report. */
interface Columns {
  xs: Float64Array;
  ys: Float64Array;
}

/**
 * All pairs within each segment when there are at most `maxPairs`; otherwise `maxPairs` pairs
 * drawn uniformly (with replacement) by a PRNG with a fixed seed, so a run always gives the
 * same figures. Drawn, not strided: a fixed stride over the pair order picks a lattice of
 * pairs whose signs are correlated, which measured 1.8× the variance of Kendall's S that the
 * test assumes (and so too many "significant" trends); uniform draws keep it.
 */
function samplePairs(segments: readonly Columns[], maxPairs: number): PairSample {
  const counts = segments.map((g) => (g.xs.length * (g.xs.length - 1)) / 2);
  const total = counts.reduce((s, c) => s + c, 0);
  const acc = new Tally(Math.min(total, maxPairs));
  if (total <= maxPairs) {
    for (const { xs, ys } of segments)
      for (let i = 0; i < xs.length - 1; i++) for (let j = i + 1; j < xs.length; j++) acc.add(xs, ys, i, j);
    return acc.result(total);
  }
  // Three draws per pair, in the order they were once drawn one by one: the segment, a, b.
  const draws = fillMulberry32(PAIR_SEED, new Float64Array(3 * maxPairs));
  const cumulative = counts.map(
    (
      (sum) => (c: number) =>
        (sum += c)
    )(0),
  );
  for (let k = 0; k < maxPairs; k++) {
    const r = draws[3 * k]! * total;
    // The first segment whose cumulative count exceeds r; the first one if rounding finds none.
    let at = 0;
    while (at < cumulative.length && !(r < cumulative[at]!)) at++;
    const { xs, ys } = segments[at === cumulative.length ? 0 : at]!;
    const a = Math.floor(draws[3 * k + 1]! * xs.length);
    let b = Math.floor(draws[3 * k + 2]! * (xs.length - 1));
    if (b >= a) b++;
    acc.add(xs, ys, Math.min(a, b), Math.max(a, b));
  }
  return acc.result(total);
}

const PAIR_SEED = 0x5eed5eed;

/** Counts signs and collects slopes of pairs (point i before point j in x order). */
class Tally {
  private readonly slopes: Float64Array;
  private count = 0;
  private taken = 0;
  private concordant = 0;
  private discordant = 0;
  private tiedX = 0;
  private tiedY = 0;

  constructor(capacity: number) {
    this.slopes = new Float64Array(capacity);
  }

  add(xs: Float64Array, ys: Float64Array, i: number, j: number): void {
    const dx = xs[j]! - xs[i]!;
    const dy = ys[j]! - ys[i]!;
    this.taken++;
    if (dx === 0) this.tiedX++;
    if (dy === 0) this.tiedY++;
    if (dx > 0) {
      this.slopes[this.count++] = dy / dx;
      if (dy > 0) this.concordant++;
      else if (dy < 0) this.discordant++;
    }
  }

  result(total: number): PairSample {
    const { taken, tiedX } = this;
    return {
      slopes: this.slopes.subarray(0, this.count),
      total,
      taken,
      concordant: this.concordant,
      discordant: this.discordant,
      tiedX,
      tiedY: this.tiedY,
      tiedXTotal: taken > 0 ? (tiedX * total) / taken : 0,
    };
  }
}

/**
 * Variance of Kendall's S under "no trend", corrected for ties in x and in y (the form used
 * for tau-b, e.g. scipy.stats.kendalltau): RSS that sits on one value for minutes is all ties.
 */
function mannKendallVariance(g: Columns): number {
  const n = g.xs.length;
  if (n < 2) return 0;
  const tx = tieGroups(g.xs);
  const ty = tieGroups(g.ys);
  const v0 = n * (n - 1) * (2 * n + 5);
  const vt = sumOver(tx, (t) => t * (t - 1) * (2 * t + 5));
  const vu = sumOver(ty, (t) => t * (t - 1) * (2 * t + 5));
  const v1 = (sumOver(tx, (t) => t * (t - 1)) * sumOver(ty, (t) => t * (t - 1))) / (2 * n * (n - 1));
  const v2 =
    n > 2
      ? (sumOver(tx, (t) => t * (t - 1) * (t - 2)) * sumOver(ty, (t) => t * (t - 1) * (t - 2))) /
        (9 * n * (n - 1) * (n - 2))
      : 0;
  return Math.max(0, (v0 - vt - vu) / 18 + v1 + v2);
}

/** Sizes of groups of equal values (only groups of 2 or more matter). */
function tieGroups(values: Float64Array): number[] {
  const sorted = values.slice().sort();
  const out: number[] = [];
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) out.push(run);
      run = 1;
    }
  }
  return out;
}

function sumOver(values: readonly number[], f: (v: number) => number): number {
  let s = 0;
  for (const v of values) s += f(v);
  return s;
}

function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
