import { test } from 'node:test';
import assert from 'node:assert/strict';
import { max, median, medianInterval, min, pairedRatio, percentile, ratio, rotatedOrder } from '../../bench/stats.ts';
import { parseHey, parseWrk } from '../../bench/burst.ts';

test('median: odd and even counts, unsorted input left as it was', () => {
  const input = [5, 1, 3];
  assert.equal(median(input), 3);
  assert.deepEqual(input, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.equal(median([1, NaN, 3]), 2, 'non-finite values are left out');
  assert.throws(() => median([]), RangeError);
  assert.throws(() => median([NaN]), RangeError);
});

test('percentile: nearest rank, never a value that was not measured', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile([3, 1, 2], 50), 2);
  assert.equal(percentile([10, 20], 99), 20);
  assert.equal(percentile([0.25, 0.5, 0.75, 1], 25), 0.25);
  // 600 probes: p99 is the 594th smallest, so six probes may be later than it.
  const probes = Array.from({ length: 600 }, (_, i) => (i < 594 ? 0.1 : 50));
  assert.equal(percentile(probes, 99), 0.1);
  probes[593] = 50;
  assert.equal(percentile(probes, 99), 50);
  assert.throws(() => percentile(v, 101), RangeError);
  assert.throws(() => percentile([], 50), RangeError);
});

test('ratio and paired ratio', () => {
  assert.equal(ratio(45, 50), 0.9);
  assert.equal(ratio(1, 0), undefined);
  assert.equal(ratio(NaN, 1), undefined);
  // Round 2 is slow for both tools (someone else's job): pairs cancel it, medians do not need to.
  assert.equal(pairedRatio([90, 45, 92], [100, 50, 100]), 0.9);
  assert.equal(pairedRatio([1, 2], [0, 0]), undefined);
  assert.equal(pairedRatio([1, 2, 3], [2, 4]), 0.5, 'extra rounds on one side are ignored');
});

test('min and max', () => {
  assert.equal(min([3, -1, 2]), -1);
  assert.equal(max([3, -1, 2]), 3);
  assert.throws(() => max([]), RangeError);
});

test('rotated order: each round runs everything once, starting one further on', () => {
  assert.deepEqual(rotatedOrder(['a', 'b', 'c'], 4), [
    ['a', 'b', 'c'],
    ['b', 'c', 'a'],
    ['c', 'a', 'b'],
    ['a', 'b', 'c'],
  ]);
  assert.deepEqual(rotatedOrder(['a'], 2), [['a'], ['a']]);
  assert.deepEqual(rotatedOrder([], 2), [[], []]);
});

test("wrk's summary is read: requests, time, socket errors, non-2xx", () => {
  const out = `Running 10s test @ http://127.0.0.1:8080/health_check
  2 threads and 100 connections
  678593 requests in 10.03s, 83.48MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:  67688.61
`;
  assert.deepEqual(parseWrk(out), { requests: 678593, seconds: 10.03, errors: 7, non2xx: 12 });
  assert.deepEqual(parseWrk('  1000 requests in 500.00ms, 1MB read'), {
    requests: 1000,
    seconds: 0.5,
    errors: 0,
    non2xx: 0,
  });
  assert.throws(() => parseWrk('nothing'), /cannot read wrk/);
});

test("hey's summary is read: responses by status, total time, errors", () => {
  // The shape of hey 0.1.4's summary (Debian's package), trimmed.
  const out = `
Summary:
  Total:	3.2561 secs
  Requests/sec:	9213.5

Status code distribution:
  [200]	29990 responses
  [503]	4 responses

Error distribution:
  [5]	Get "http://127.0.0.1:8080/health_check": dial tcp 127.0.0.1:8080: connect: connection refused
  [1]	Get "http://127.0.0.1:8080/health_check": EOF
`;
  assert.deepEqual(parseHey(out), { requests: 29994, seconds: 3.2561, errors: 6 });
  assert.deepEqual(parseHey('Summary:\n  Total:\t0.5 secs\nStatus code distribution:\n  [200]\t10 responses\n'), {
    requests: 10,
    seconds: 0.5,
    errors: 0,
  });
  assert.throws(() => parseHey('nothing'), /cannot read hey/);
});

test("the median's interval: order statistics that cover it at the confidence asked, none for too few values", () => {
  const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => n - i); // unsorted on purpose
  assert.equal(medianInterval(upTo(4)), undefined, 'four values cover the median at 87.5% at best');
  assert.deepEqual(medianInterval(upTo(5)), [1, 5], 'the extremes of five: 93.75%');
  // Nine: [2nd, 8th] covers 1 - 2 * 10/512 = 96.1%; [3rd, 7th] only 82.0%.
  assert.deepEqual(medianInterval(upTo(9)), [2, 8]);
  assert.deepEqual(medianInterval(upTo(9), 0.8), [3, 7]);
  assert.deepEqual(medianInterval(upTo(30)), [11, 20]);
  assert.deepEqual(medianInterval([1, Number.NaN, 2, 3, 4, 5]), [1, 5], 'values that are not numbers are left out');
});
