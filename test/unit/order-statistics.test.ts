import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectRanks } from '../../src/analyse/order-statistics.ts';
import { fitTrend, type TrendPoint } from '../../src/analyse/growth.ts';
import { fillMulberry32, mulberry32 } from '../../src/analyse/seeded-random.ts';

test('selectRanks gives the values a sort would put at those ranks, with many ties and none', () => {
  const rand = mulberry32(5);
  for (let trial = 0; trial < 2000; trial++) {
    const len = 1 + Math.floor(rand() * 400);
    // From all equal (1 distinct value) to nearly all distinct.
    const distinct = 1 + Math.floor(rand() * (trial % 2 === 0 ? 10 : 1e6));
    const values = Float64Array.from({ length: len }, () => Math.floor(rand() * distinct) - distinct / 2);
    const sorted = values.slice().sort();
    const ranks = [0, len - 1, len >> 1, Math.floor(rand() * len), Math.floor(rand() * len)];
    const at = selectRanks(values.slice(), ranks);
    for (const r of ranks) assert.equal(at(r), sorted[r], `trial ${trial}, rank ${r} of ${len}`);
  }
});

test('selectRanks refuses ranks outside the array and answers only for ranks it was asked', () => {
  assert.throws(() => selectRanks(new Float64Array(3), [3]), RangeError);
  assert.throws(() => selectRanks(new Float64Array(3), [-1]), RangeError);
  assert.throws(() => selectRanks(new Float64Array(3), [0.5]), RangeError);
  const at = selectRanks(Float64Array.of(3, 1, 2), [1]);
  assert.equal(at(1), 2);
  assert.throws(() => at(0), RangeError);
});

test('mulberry32 and fillMulberry32 draw the reference sequence (state kept unsigned, as published)', () => {
  const reference = (seed: number) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };
  for (const seed of [0, 1, 42, 0x5eed5eed, 0xffffffff, -5, 2 ** 31]) {
    const ours = mulberry32(seed);
    const theirs = reference(seed);
    const filled = fillMulberry32(seed, new Float64Array(100_000));
    for (let i = 0; i < 100_000; i++) {
      const expected = theirs();
      assert.equal(ours(), expected, `seed ${seed}, draw ${i}`);
      assert.equal(filled[i], expected, `seed ${seed}, filled draw ${i}`);
    }
  }
});

test('fitTrend gives the same fit from points and from columns, in any order within a segment', () => {
  const rand = mulberry32(11);
  const points: TrendPoint[] = Array.from({ length: 3000 }, (_, i) => ({
    x: i,
    y: Math.round((1000 + 3 * i + rand() * 400) / 64) * 64,
    segment: i < 1800 ? 0 : 1,
  }));
  const fromPoints = fitTrend(points);
  const columns = {
    x: points.map((p) => p.x),
    y: points.map((p) => p.y),
    segment: points.map((p) => p.segment ?? 0),
  };
  assert.deepEqual(fitTrend(columns), fromPoints);
  // Each segment's points backwards (segments keep their first-seen order, which decides the draws).
  const backwards = [...points.slice(0, 1800).reverse(), ...points.slice(1800).reverse()];
  assert.deepEqual(fitTrend(backwards), fromPoints);
  assert.ok(fromPoints.ok && fromPoints.pairs === 50_000, 'long enough to sample pairs');
});
