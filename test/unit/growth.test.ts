import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearRegression } from 'simple-statistics';
import { fitTrend, type TrendFit, type TrendPoint, type TrendResult } from '../../src/analyse/growth.ts';
import { gaussian, mulberry32 } from '../helpers/synthetic-series.ts';

function fitted(r: TrendResult): TrendFit {
  assert.ok(r.ok, `expected a fit, got: ${r.ok ? '' : r.reason}`);
  return r;
}

const line = (n: number, slope: number, intercept: number, noise: (i: number) => number = () => 0): TrendPoint[] =>
  Array.from({ length: n }, (_, i) => ({ x: i, y: intercept + slope * i + noise(i) }));

test('an exact line: exact slope and intercept, tau 1, a tiny p-value, a zero-width interval', () => {
  const f = fitted(fitTrend(line(50, 2.5, 100)));
  assert.equal(f.slope, 2.5);
  assert.equal(f.intercept, 100);
  assert.equal(f.slopeLow, 2.5);
  assert.equal(f.slopeHigh, 2.5);
  assert.equal(f.tau, 1);
  assert.ok(f.pValue < 1e-10, `p ${f.pValue}`);
  assert.equal(f.span, 49);
  assert.equal(f.rise, 2.5 * 49);
  assert.equal(f.noise, 0);
  assert.equal(f.points, 50);
  assert.equal(f.pairs, (50 * 49) / 2);
});

test('a noisy line (seeded): the 95% interval holds the true slope and tau is high', () => {
  const n = gaussian(mulberry32(42));
  const f = fitted(fitTrend(line(300, 10, 1000, () => 150 * n())));
  assert.ok(f.slopeLow < 10 && 10 < f.slopeHigh, `CI ${f.slopeLow}..${f.slopeHigh}`);
  assert.ok(Math.abs(f.slope - 10) < 0.5, `slope ${f.slope}`);
  assert.ok(f.tau > 0.7, `tau ${f.tau}`);
  // The noise estimate finds the noise that was put in.
  assert.ok(f.noise > 120 && f.noise < 180, `noise ${f.noise}`);
});

test('flat noise (seeded): the interval includes zero, tau is near zero, the p-value is large', () => {
  const n = gaussian(mulberry32(7));
  const f = fitted(fitTrend(line(300, 0, 1000, () => 150 * n())));
  assert.ok(f.slopeLow < 0 && f.slopeHigh > 0, `CI ${f.slopeLow}..${f.slopeHigh}`);
  assert.ok(Math.abs(f.tau) < 0.1, `tau ${f.tau}`);
  assert.ok(f.pValue > 0.05, `p ${f.pValue}`);
});

test('wild samples barely move Theil–Sen, while least squares follows them', () => {
  const rand = mulberry32(3);
  // One sample in five is a scrape that caught a burst of allocations: +5,000 on a slope of 1.
  const points = line(200, 1, 0, (i) => (i % 5 === 0 ? 5000 * rand() + (i > 150 ? 20_000 : 0) : 0));
  const f = fitted(fitTrend(points));
  const ols = linearRegression(points.map((p) => [p.x, p.y])).m;
  assert.ok(Math.abs(f.slope - 1) < 0.05, `Theil–Sen ${f.slope}`);
  assert.ok(Math.abs(ols - 1) > 20, `least squares ${ols}`);
});

test('segments: a sawtooth (growth, kill, restart) is fitted per process, not across the kill', () => {
  const points: TrendPoint[] = [];
  for (let t = 0; t < 600; t++) {
    const restarted = t >= 300;
    points.push({ x: t, y: 1000 + (restarted ? t - 300 : t) * 4, segment: restarted ? 1 : 0 });
  }
  const f = fitted(fitTrend(points));
  assert.equal(f.slope, 4);
  assert.equal(f.tau, 1);
  // The intercept is the running process's: it restarted at 1000 at t=300.
  assert.equal(f.intercept, 1000 - 300 * 4);
  assert.equal(f.span, 299 * 2);
  // Without segments the same points look like much slower growth.
  const naive = fitted(fitTrend(points.map(({ x, y }) => ({ x, y }))));
  assert.ok(naive.slope < 2.5 && naive.tau < 0.6, `naive slope ${naive.slope}, tau ${naive.tau}`);
});

test('long series are thinned and pair-sampled deterministically, and stay accurate', () => {
  const n = gaussian(mulberry32(11));
  const points = line(20_000, 3, 0, () => 50 * n());
  const a = fitted(fitTrend(points));
  const b = fitted(fitTrend(points));
  assert.deepEqual(a, b);
  assert.equal(a.points, 20_000);
  assert.ok(a.used <= 2000, `used ${a.used}`);
  assert.ok(a.pairs <= 50_000, `pairs ${a.pairs}`);
  assert.ok(Math.abs(a.slope - 3) < 0.01, `slope ${a.slope}`);
  assert.ok(a.slopeLow < 3 && a.slopeHigh > 3);
  const small = fitted(fitTrend(points, { maxPoints: 100, maxPairs: 500 }));
  assert.ok(small.used <= 100 && small.pairs <= 500);
  assert.ok(Math.abs(small.slope - 3) < 0.05, `slope ${small.slope}`);
});

test('ties: a series that never moves has slope 0, tau 0, p-value 1', () => {
  const f = fitted(fitTrend(line(40, 0, 12_345)));
  assert.equal(f.slope, 0);
  assert.equal(f.tau, 0);
  assert.equal(f.pValue, 1);
  assert.equal(f.rise, 0);
});

test('not enough data is a value saying what is missing, never a throw', () => {
  assert.deepEqual(fitTrend([]), { ok: false, reason: '0 points; at least 5 are needed', points: 0, span: 0 });
  const three = fitTrend(line(3, 1, 0));
  assert.equal(three.ok, false);
  assert.match(three.ok ? '' : three.reason, /^3 points; at least 5/);
  const short = fitTrend(line(10, 1, 0), { minSpan: 60 });
  assert.equal(short.ok, false);
  assert.match(short.ok ? '' : short.reason, /span 9; at least 60/);
  const sameX = fitTrend(Array.from({ length: 10 }, (_, i) => ({ x: 5, y: i })));
  assert.equal(sameX.ok, false);
  // Non-finite values are dropped, not fitted: NaN is a missing sample, not a value.
  const holes = fitted(fitTrend([...line(10, 2, 0), { x: 20, y: NaN }, { x: Infinity, y: 1 }]));
  assert.equal(holes.points, 10);
  assert.equal(holes.slope, 2);
  // A segment with a single point has no pair and does not count.
  const lone = fitTrend([...line(4, 1, 0), { x: 10, y: 0, segment: 2 }]);
  assert.equal(lone.ok, false);
});
