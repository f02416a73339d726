import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workSampler } from '../../src/run/work-samples.ts';

test('a sample at each 1% of the requests, none closer than the gap, none while one is in flight', () => {
  let now = 0;
  let busy = false;
  const taken: number[] = [];
  const onWork = workSampler(
    () => {
      if (busy) return false;
      taken.push(now);
      return true;
    },
    () => now,
    20,
  );
  // 10,000 requests, progress every 50: a step is 100 requests; 10 ms per 100 requests.
  for (let done = 50; done <= 10_000; done += 50) {
    now = done / 10;
    onWork(done, 10_000);
  }
  // The 20 ms gap lets every other step through: 50 samples, 20 ms apart.
  assert.equal(taken.length, 50);
  for (let i = 1; i < taken.length; i++) assert.ok(taken[i]! - taken[i - 1]! >= 20);

  taken.length = 0;
  now = 0;
  const slow = workSampler(
    () => (busy ? false : (taken.push(now), true)),
    () => now,
    20,
  );
  busy = true;
  for (let done = 100; done <= 1000; done += 100) {
    now += 100;
    slow(done, 10_000);
  }
  assert.deepEqual(taken, [], 'nothing while a sample is in flight');
  busy = false;
  now += 100;
  slow(1100, 10_000);
  assert.deepEqual(taken, [1100], 'the next step after it ends takes one');
});

test('progress without a new step asks for nothing; an empty burst neither', () => {
  let calls = 0;
  const onWork = workSampler(
    () => (calls++, true),
    () => 1000 * calls,
  );
  onWork(10, 100_000);
  onWork(999, 100_000);
  onWork(0, 0);
  assert.equal(calls, 0);
  onWork(1000, 100_000);
  assert.equal(calls, 1);
});
