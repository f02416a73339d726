import { mulberry32 } from './seeded-random.ts';

/**
 * The values at `ranks` (0-based) of `values` as if sorted ascending, found by selection:
 * `values` is reordered, not sorted. A trend fit reads four ranks of 50,000 slopes, and sorting
 * them all was most of its time.
 *
 * Written here rather than taken from simple-statistics: its quickselect (Floyd–Rivest with a
 * two-way partition) measured slower than a full sort on slopes with many ties, which memory
 * series have (RSS moves in pages). A three-way partition puts all ties of the pivot in place
 * at once. Pivots come from a PRNG with a fixed seed, so no input order is a worst case by
 * design and the same input always takes the same steps.
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
    // Dijkstra's three-way partition: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) {
        a[i] = a[lt]!;
        a[lt] = v;
        lt++;
        i++;
      } else if (v > pivot) {
        a[i] = a[gt]!;
        a[gt] = v;
        gt--;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return;
  }
}
