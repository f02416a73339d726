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

/** Median of per-round ratios a[i]/b[i]: pairs measured back to back share the same noise. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number | undefined {
  const n = Math.min(a.length, b.length);
  const rs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = ratio(a[i]!, b[i]!);
    if (r !== undefined) rs.push(r);
  }
  return rs.length === 0 ? undefined : median(rs);
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
