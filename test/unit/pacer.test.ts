import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { pace, probeCount, scheduledOffsetMs } from '../../src/load/pacer.ts';

test('probe count is duration x rate, exactly', () => {
  assert.equal(probeCount(1, 10 * 60_000), 600);
  assert.equal(probeCount(1, 90 * 60_000), 5400);
  assert.equal(probeCount(0.1, 60_000), 6);
  assert.equal(probeCount(3, 1000), 3);
  assert.equal(probeCount(1, 500), 1);
});

test('the schedule is k/rate from the start, not from the previous send', () => {
  assert.equal(scheduledOffsetMs(0, 1), 0);
  assert.equal(scheduledOffsetMs(599, 1), 599_000);
  assert.equal(scheduledOffsetMs(10, 4), 2500);
});

test('pace fires every probe on time even when a callback is slow', async () => {
  const start = performance.now() + 5;
  const fired: { seq: number; due: number; at: number }[] = [];
  const sent = await pace({ rate: 50, count: 25, startPerfMs: start }, (seq, due) => {
    fired.push({ seq, due, at: performance.now() });
    // A slow callback on probe 3 must not shift probes 4.. (they are due from the start).
    if (seq === 3) {
      const until = performance.now() + 30;
      while (performance.now() < until) {
        /* block */
      }
    }
  });
  assert.equal(sent, 25);
  assert.deepEqual(
    fired.map((f) => f.seq),
    [...Array(25).keys()],
  );
  for (const f of fired) assert.equal(f.due, start + f.seq * 20);
  // Had probe 3's 30 ms block shifted the schedule, every later probe would be about 30 ms late.
  // The bound is well below that and well above a busy 2-core machine's scheduling noise (how
  // close to on time the pacer is goes to npm run bench, not here).
  for (const f of fired.filter((f) => f.seq > 5))
    assert.ok(f.at - f.due < 15, `probe ${f.seq} was ${(f.at - f.due).toFixed(2)} ms late`);
  for (const f of fired) assert.ok(f.at >= f.due, `probe ${f.seq} went early`);
});

test('pace stops when aborted and reports what it sent', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 55);
  const sent2 = await pace({ rate: 100, count: 1000, startPerfMs: performance.now(), signal: ac.signal }, () => {});
  assert.ok(sent2 >= 4 && sent2 <= 8, `sent ${sent2}`);
});
