/**
 * The few statistics the benchmark reports. Medians rather than means throughout: the machine
 * is shared, and one run slowed by someone else's job should move the answer as little as it can.
 */

function finite(values: readonly number[], what: string): number[] {
  const out = values.filter((v) => Number.isFinite(v));
  if (out.length === 0) throw new RangeError(`${what} of no finite values`);
  return out;
}

/** Median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const v = finite(values, 'median').sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * Percentile by the nearest-rank method on sorted values: the smallest value with at least
 * p% of the values at or below it. p=0 gives the minimum, p=100 the maximum. Nearest rank never
 * invents a value that was not measured, which matters for "how late was the worst probe".
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const v = finite(values, 'percentile').sort((a, b) => a - b);
  if (p === 0) return v[0]!;
  const rank = Math.ceil((p / 100) * v.length);
  return v[Math.min(v.length, Math.max(1, rank)) - 1]!;
}

/** a / b, or undefined when b is 0 or either is not finite (a ratio that means nothing). */
export function ratio(a: number, b: number): number | undefined {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** Per-round ratios a[i]/b[i], those that mean something; extra rounds on one side are ignored. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const rs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = ratio(a[i]!, b[i]!);
    if (r !== undefined) rs.push(r);
  }
  return rs;
}

/** Median of per-round ratios a[i]/b[i]: pairs measured back to back share the same noise. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number | undefined {
  const rs = pairedRatios(a, b);
  return rs.length === 0 ? undefined : median(rs);
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(k: number, n: number): number {
  let term = 0.5 ** n; // P(X = 0)
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * A distribution-free confidence interval of the median: the j-th smallest and j-th largest of
 * the values, j the largest rank whose interval still covers the median with at least the
 * confidence asked (each value falls either side of the true median with probability 1/2). It
 * assumes nothing about the shape of the noise, which on a shared machine is anything but
 * normal. Undefined when there are too few values for that confidence (fewer than 5 at 90%).
 */
export function medianInterval(values: readonly number[], confidence = 0.9): [number, number] | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  let rank = 0;
  // Coverage of [v(j), v(n+1-j)] is 1 - 2 P(X <= j-1).
  for (let j = 1; j <= n >> 1; j++) {
    if (1 - 2 * binomialHalfCdf(j - 1, n) >= confidence) rank = j;
    else break;
  }
  return rank === 0 ? undefined : [v[rank - 1]!, v[n - rank]!];
}

export function min(values: readonly number[]): number {
  return finite(values, 'min').reduce((a, b) => (b < a ? b : a));
}

export function max(values: readonly number[]): number {
  return finite(values, 'max').reduce((a, b) => (b > a ? b : a));
}

/**
 * The order in which to run `names` in each of `rounds` rounds: every round runs each once,
 * and the starting point rotates (ABC, BCA, CAB, ...) so that no measurement always runs first
 * (a cold target) or always right after the same neighbour.
 */
export function rotatedOrder<T>(names: readonly T[], rounds: number): T[][] {
  const out: T[][] = [];
  for (let r = 0; r < rounds; r++) {
    const k = names.length === 0 ? 0 : r % names.length;
    out.push([...names.slice(k), ...names.slice(0, k)]);
  }
  return out;
}
