import { mulberry32 } from './seeded-random.ts';

/**
 * The values at `ranks` (0-based) of `values` as if sorted ascending, found by selection:
 * `values` is reordered, not sorted. A trend fit reads four ranks of 50,000 slopes, and sorting
 * them all was most of its time.
 *
 * Written here rather than taken from simple-statistics: its quickselect measured slower than
 * a full sort on these slopes, which have many ties (RSS moves in pages). Pivots come from a
 * PRNG with a fixed seed, so no input order is a worst case by design and the same input
 * always takes the same steps.
 */
export function selectRanks(values: Float64Array, ranks: readonly number[]): (rank: number) => number {
  const wanted = [...new Set(ranks)].sort((a, b) => a - b);
  if (wanted.some((r) => !Number.isInteger(r) || r < 0 || r >= values.length))
    throw new RangeError(`ranks ${wanted.join(', ')} are not all within 0..${values.length - 1}`);
  const rand = mulberry32(PIVOT_SEED);
  const found = new Map<number, number>();
  // Each rank found splits the array: the ranks below it are looked for in the part below only.
  const visit = (lo: number, hi: number, from: number, to: number): void => {
    if (from >= to) return;
    const m = (from + to) >> 1;
    const k = wanted[m]!;
    selectInPlace(values, k, lo, hi, rand);
    found.set(k, values[k]!);
    visit(lo, k - 1, from, m);
    visit(k + 1, hi, m + 1, to);
  };
  visit(0, values.length - 1, 0, wanted.length);
  return (rank) => {
    const v = found.get(rank);
    if (v === undefined) throw new RangeError(`rank ${rank} was not selected`);
    return v;
  };
}

const PIVOT_SEED = 0x0badf00d;

/** Moves the k-th smallest of a[lo..hi] to a[k], smaller ones before it and larger after. */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number, rand: () => number): void {
  while (hi > lo) {
    const pivot = a[lo + Math.floor(rand() * (hi - lo + 1))]!;
    // Hoare's partition, stopping on values equal to the pivot: ties are spread over both sides,
    // so a run of equal slopes splits in half instead of sliding along one element at a time.
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot, a[i..hi] >= pivot, and anything between them equals it.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
