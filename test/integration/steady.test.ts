/**
 * The steady phase against a real server that records what it receives: the schedule's count
 * exactly, over a few kept-alive connections, the requests asked for, send lateness reported;
 * and when the server is too slow for the rate, the open model keeps to its schedule, counts
 * what was late or never sent, and measures latency from the schedule.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClock } from '../../src/load/clock.ts';
import { request } from '../../src/options/request-def.ts';
import { runSteady } from '../../src/load/steady.ts';
import { makeSchedule, steadyProblem } from '../../src/load/steady-schedule.ts';
import { parseStages } from '../../src/options/stages.ts';
import { countBy, header, recordingServer, type RecordingServer } from '../helpers/recording-server.ts';

let fast: RecordingServer;
let slow: RecordingServer;
before(async () => {
  fast = await recordingServer({ status: (r) => (r.method === 'POST' ? 201 : 200) });
  slow = await recordingServer({ delayMs: 250 });
});
after(async () => {
  await fast.close();
  await slow.close();
});

const sinks = () => {
  const warnings: string[] = [];
  return {
    warnings,
    clock: startClock(),
    signal: new AbortController().signal,
    onSecond: () => {},
    onWarning: (w: string) => warnings.push(w),
  };
};

test('schedule: a constant rate and linear ramps, counted exactly', () => {
  const c = makeSchedule(200, 2000);
  assert.equal(c.count, 400);
  assert.equal(c.offsetMs(0), 0);
  assert.equal(c.offsetMs(399), 1995);
  // 0 → 100/s over 2 s (100 requests), then 100/s for 1 s (100 more).
  const r = makeSchedule(0, 0, [
    { durationMs: 2000, rate: 100 },
    { durationMs: 1000, rate: 100 },
  ]);
  assert.equal(r.count, 200);
  const offs = Array.from({ length: r.count }, (_, k) => r.offsetMs(k));
  assert.ok(
    offs.every((x, i) => i === 0 || x >= offs[i - 1]!),
    'due times never go back',
  );
  // In a ramp from 0, the k-th request is due at sqrt(k / a) with a = 100 / (2 * 2 s).
  assert.ok(Math.abs(offs[25]! - 1000) < 1e-6, `request 25 due at 1 s, got ${offs[25]}`);
  assert.ok(Math.abs(offs[150]! - 2500) < 1e-6, 'request 150 due half way through the flat stage');
  assert.deepEqual(
    parseStages('30s:100, 1m:0', (t) => (t === '30s' ? 30_000 : 60_000)),
    [
      { durationMs: 30_000, rate: 100 },
      { durationMs: 60_000, rate: 0 },
    ],
  );
  assert.match(parseStages('30s=100', () => 1) as string, /expected duration:rate pairs/);
  // The cap the runner was measured to hold, for scenario files as for --rate and --stages.
  const p = { rate: 1000, durationMs: 1000, connections: 10, timeoutMs: 1000 };
  assert.equal(steadyProblem(p), undefined);
  assert.match(steadyProblem({ ...p, rate: 1001 }) ?? '', /at most 1000 requests per second/);
  assert.match(
    steadyProblem({ ...p, rate: 0, stages: [{ durationMs: 1000, rate: 2000 }] }) ?? '',
    /at most 1000 requests per second/,
  );
});

test('steady: the scheduled count, exact, over a few kept-alive connections, with its requests', async () => {
  fast.received.length = 0;
  const mix = {
    order: 'weighted' as const,
    requests: [
      request('POST', '/api/orders', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"n":1}',
        weight: 3,
        expectStatus: [201],
      }),
      request('GET', '/health_check'),
    ],
  };
  const s = sinks();
  const r = await runSteady(
    { name: 'steady', url: fast.url, rate: 200, durationMs: 2000, connections: 20, timeoutMs: 10_000, mix },
    s,
  );
  assert.equal(r.kind, 'steady');
  assert.equal(r.requested, 400);
  assert.equal(r.sent, 400);
  assert.equal(r.completed, 400);
  assert.equal(fast.received.length, 400, 'the server saw exactly the scheduled requests');
  assert.deepEqual(
    countBy(fast.received, (x) => `${x.method} ${x.url}`),
    { 'POST /api/orders': 300, 'GET /health_check': 100 },
  );
  assert.ok(
    fast.received
      .filter((x) => x.method === 'POST')
      .every((x) => x.body === '{"n":1}' && header(x, 'content-length') === '7'),
  );
  assert.deepEqual(r.responsesByRequest, { 'POST /api/orders': 300, 'GET /health_check': 100 });
  assert.equal(r.unexpectedStatus, 0);
  const st = r.steady!;
  assert.equal(st.scheduled, 400);
  assert.equal(st.notSent, 0);
  assert.ok(
    st.connectionsOpened <= 20 && st.connectionsOpened === new Set(fast.received.map((x) => x.socket)).size,
    `keep-alive: ${st.connectionsOpened} connections for 400 requests`,
  );
  assert.ok(st.connectionsOpened < 400 / 4, 'connections were reused');
  // Lateness is reported; its size depends on the machine, so only its shape is checked.
  assert.ok(
    Number.isFinite(st.sendLateness.p99) &&
      st.sendLateness.p99 >= st.sendLateness.p50 &&
      st.sendLateness.max >= st.sendLateness.p99,
  );
  assert.ok(st.late >= 0 && st.late <= 400);
  assert.ok(r.durationS >= 1.9, 'the schedule spans the duration');
});

test('steady: a server too slow for the rate: sent on schedule up to the cap, the rest counted late or not sent', async () => {
  slow.received.length = 0;
  const s = sinks();
  // 4 connections x 250 ms = 16 answers a second, against 40 asked.
  const r = await runSteady(
    { name: 'steady', url: slow.url, rate: 40, durationMs: 2000, connections: 4, timeoutMs: 1000 },
    s,
  );
  const st = r.steady!;
  assert.equal(st.scheduled, 80);
  assert.equal(r.sent + st.notSent, 80, 'every scheduled request is sent or counted as not sent');
  assert.equal(r.completed + r.errors, r.sent);
  assert.ok(st.notSent > 0, `some could not be sent within the timeout (${st.notSent})`);
  assert.ok(st.late > 0, 'some waited for a connection');
  assert.ok(st.peakInFlight <= 4 && st.connectionsOpened <= 4);
  assert.equal(slow.received.length, r.sent);
  // Latency from the schedule includes the wait for a connection: well above the 250 ms service time.
  assert.ok(r.latency!.max > 500, `latency counted from the schedule (max ${r.latency!.max} ms)`);
  assert.ok(s.warnings.some((w) => /could not keep the rate/.test(w)));
});
