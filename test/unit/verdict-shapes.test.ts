/**
 * Growth has a shape: a plateau under load is not growth, growth given back after the load is
 * not growth, and a target that is not Go is described in its own words. Synthetic series on
 * the soak timeline (5 min idle, a 100k-request burst over 40 s, 10 min idle).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROWTH_VERDICTS } from '../../src/analyse/diagnosis.ts';
import { summarise } from '../../src/analyse/summarise.ts';
import { parseFailOn } from '../../src/options/run-options.ts';
import { failOnReason } from '../../src/run/fail-on.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import type { TargetIdentity } from '../../src/rundir/schema.ts';
import { requestsAt, seriesRun, SOAK, SOAK_END, KiB, MiB, type SeriesContext } from '../helpers/synthetic-series.ts';
import { writeSyntheticRun } from '../helpers/synthetic-run.ts';

const burstDone = (t: number): number =>
  Math.min(
    1,
    requestsAt(
      SOAK.filter((p) => p.kind === 'burst'),
      t,
    ) / 100_000,
  );

function summaryOf(figures: (c: SeriesContext, done: number) => Record<string, number>, identity?: TargetIdentity) {
  const spec = seriesRun({
    phases: SOAK,
    endT: SOAK_END,
    seed: 5,
    figures: (c) => figures(c, burstDone(c.t)),
    target: { kind: 'command', label: 'cmd', ...(identity && { identity }) },
  });
  return summarise(readRunDir(writeSyntheticRun(spec)));
}

const node: TargetIdentity = {
  pid: 1,
  executable: '/usr/bin/node',
  runtime: 'node',
  runtimeEvidence: 'executable node',
};
const goIdentity: TargetIdentity = {
  pid: 1,
  executable: '/srv/app',
  runtime: 'go',
  runtimeVersion: 'go1.26.8',
  runtimeEvidence: 'Go build info in the executable',
  goBuild: { goVersion: 'go1.26.8', deps: [], settings: [{ key: 'CGO_ENABLED', value: '1' }] },
};

/** Live data that fills to 60 MiB by half of the burst, then stays. */
const filled = (done: number): number => 60 * MiB * Math.min(1, done / 0.5);

test('a cache full halfway through the burst: plateau with how much, when, and that it is live heap', () => {
  const s = summaryOf((c, done) => {
    const vmRss = 20 * MiB + filled(done) * 1.1 + 64 * KiB * c.noise();
    return {
      vmRss,
      rssAnon: vmRss - 10 * MiB,
      heapInuse: 6 * MiB + filled(done) + 256 * KiB * c.noise(),
      goSys: 14 * MiB + filled(done) * 1.1,
      heapReleased: 2 * MiB,
      goroutines: 6,
    };
  }, goIdentity);
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'plateau', d.verdict.evidence.join('\n'));
  assert.ok(!GROWTH_VERDICTS.includes(d.verdict.kind));
  assert.equal(d.plateau!.holder, 'live-heap');
  assert.ok(
    d.plateau!.stoppedAfterRequests! > 35_000 && d.plateau!.stoppedAfterRequests! < 55_000,
    JSON.stringify(d.plateau),
  );
  assert.match(
    d.verdict.evidence.join('\n'),
    /stopped growing [\d.]+ s into burst, after about [\d,]+ requests of 100,000/,
  );
  assert.match(
    d.verdict.evidence.join('\n'),
    /It is live data: Go heap in use is still \+[\d.]+ MiB above its baseline/,
  );
  assert.equal(failOnReason(parseFailOn('growth'), s), undefined);
  assert.match(
    failOnReason(parseFailOn('held>32Mi'), s) ?? '',
    /holds [\d.]+ MiB above its baseline at the end, over the budget of 32\.0 MiB/,
  );
  assert.equal(failOnReason(parseFailOn('growth,held>1Gi'), s), undefined);
});

test('the same climb that goes on to the end of the burst is growth, and --fail-on growth fires', () => {
  const s = summaryOf((c, done) => {
    const live = 60 * MiB * done;
    const vmRss = 20 * MiB + live * 1.1 + 64 * KiB * c.noise();
    return {
      vmRss,
      rssAnon: vmRss - 10 * MiB,
      heapInuse: 6 * MiB + live,
      goSys: 14 * MiB + live * 1.1,
      heapReleased: 2 * MiB,
      goroutines: 6,
    };
  }, goIdentity);
  assert.equal(s.diagnosis!.verdict.kind, 'go-heap-growth', s.diagnosis!.verdict.evidence.join('\n'));
  assert.match(failOnReason(parseFailOn('growth'), s) ?? '', /go-heap-growth/);
});

test('Node.js memory that rises under load and is given back after it: not growth, in V8 words', () => {
  const s = summaryOf((c, done) => {
    const after = c.t > 345 ? Math.min(1, (c.t - 345) / 60) : 0;
    const load = c.phase?.kind === 'burst' ? 30 * MiB * done : 30 * MiB * (1 - after) * (done >= 1 ? 1 : 0);
    const vmRss = 50 * MiB + load + 64 * KiB * c.noise();
    return {
      vmRss,
      rssAnon: vmRss - 20 * MiB,
      v8HeapUsed: 8 * MiB + load * 0.3,
      v8HeapTotal: 12 * MiB + load * 0.5,
      nodeExternal: 2 * MiB,
      v8MajorGcs: Math.floor(c.t / 10),
    };
  }, node);
  const v = s.diagnosis!.verdict;
  assert.equal(v.kind, 'stable', v.evidence.join('\n'));
  assert.match(v.evidence.join('\n'), /rose \+[\d.]+ MiB \(fitted\) during burst but was given back/);
  assert.doesNotMatch([v.summary, ...v.evidence, ...v.caveats].join('\n'), /\bGo\b|goroutine/);
  assert.equal(s.diagnosis!.runtime?.name, 'node');
});

test('V8 heap growth without a major GC in the window is garbage not yet collected, not a leak', () => {
  const s = summaryOf((c, done) => {
    const vmRss = 50 * MiB + 8 * MiB * done + 32 * KiB * c.noise();
    return {
      vmRss,
      rssAnon: vmRss - 20 * MiB,
      v8HeapUsed: 8 * MiB + 8 * MiB * done,
      v8HeapTotal: 12 * MiB + 8 * MiB * done,
      nodeExternal: 2 * MiB,
      v8MajorGcs: 0,
    };
  }, node);
  assert.ok(!GROWTH_VERDICTS.includes(s.diagnosis!.verdict.kind), s.diagnosis!.verdict.evidence.join('\n'));
});

test('a process that is not Go, with no metrics: RSS growth said without Go, smaps layout not Go', () => {
  const s = summaryOf(
    (c, done) => {
      const vmRss =
        30 * MiB + 50 * MiB * done + 1 * MiB * ((c.t - 345) / 600) * (c.t > 345 ? 1 : 0) + 32 * KiB * c.noise();
      return { vmRss, rssAnon: vmRss - 10 * MiB, threads: 4 };
    },
    {
      pid: 1,
      executable: '/usr/bin/python3.11',
      runtime: 'python',
      runtimeVersion: '3.11',
      runtimeEvidence: 'executable python3.11',
    },
  );
  const v = s.diagnosis!.verdict;
  assert.equal(v.kind, 'rss-growth', v.evidence.join('\n'));
  assert.doesNotMatch(
    [v.summary, ...v.evidence, ...v.caveats, ...v.suggestions].join('\n'),
    /\bGo\b|goroutine|go_memstats|pprof/,
  );
  assert.match(v.caveats.join('\n'), /prometheus_client does not expose/);
});

// ─── Go's live heap (from the GC goal) ─────────────────────────────────────────────────────

/**
 * A Go server whose RSS follows its heap goal: live data plus garbage up to twice it (GOGC=100).
 * `live` is the data the heap keeps; RSS and heap in use climb with the goal, here on to the
 * burst's end, as measured on a cache full at request 30,000 of 60,000.
 */
function goHeap(
  c: SeriesContext,
  done: number,
  live: (done: number) => number,
  withLive: boolean,
  rssExtra = 0,
): Record<string, number> {
  const goal = gcGoal(c.t, live);
  const vmRss = 20 * MiB + 120 * MiB * done + rssExtra + 64 * KiB * c.noise();
  const out: Record<string, number> = {
    vmRss,
    rssAnon: vmRss - 10 * MiB,
    heapInuse: 6 * MiB + 110 * MiB * done + 256 * KiB * c.noise(),
    goSys: 14 * MiB + 120 * MiB * done + rssExtra,
    heapReleased: 2 * MiB,
    goroutines: 6,
  };
  if (withLive) Object.assign(out, { goHeapGoal: goal, liveHeap: goal / 2 });
  return out;
}

/** The goal set at the last GC (one every 2 s), from the live data then, give or take 16 KiB a cycle. */
function gcGoal(t: number, live: (done: number) => number): number {
  const cycle = Math.floor(t / 2);
  return 2 * (4 * MiB + live(burstDone(cycle * 2)) + (cycle % 3) * 16 * KiB);
}

test('RSS climbing to the burst end while the live heap stopped halfway: plateau on the live heap; without it, growth', () => {
  const withLive = summaryOf((c, done) => goHeap(c, done, filled, true), goIdentity);
  const d = withLive.diagnosis!;
  assert.equal(d.verdict.kind, 'plateau', d.verdict.evidence.join('\n'));
  assert.equal(d.plateau!.holder, 'live-heap');
  // Where the live heap stopped (half the burst), not where RSS would have (its end).
  assert.ok(
    d.plateau!.stoppedAfterRequests! > 40_000 && d.plateau!.stoppedAfterRequests! < 55_000,
    JSON.stringify(d.plateau),
  );
  assert.match(
    d.verdict.evidence.join('\n'),
    /Go live heap \(after GC\) rose \+5\d\.\d MiB in burst and was flat across the 10 collections seen in burst's later half \(requests 52,500 to 97,500: \+0 B per 1,000 requests, the median between them\): the data/,
  );
  assert.match(d.verdict.evidence.join('\n'), /GOGC=100 assumed/);
  assert.equal(failOnReason(parseFailOn('growth'), withLive), undefined);
  // The same run read on RSS alone (a run from before the live heap was sampled).
  const rssOnly = summaryOf((c, done) => goHeap(c, done, filled, false), goIdentity);
  assert.equal(rssOnly.diagnosis!.verdict.kind, 'go-heap-growth', rssOnly.diagnosis!.verdict.evidence.join('\n'));
});

test("a live heap still rising at the burst end is growth, even with RSS flat over the burst's later half", () => {
  const run = (withLive: boolean) =>
    summaryOf((c, done) => {
      const level = Math.min(1, done / 0.5);
      const vmRss = 20 * MiB + 120 * MiB * level + 64 * KiB * c.noise();
      const goal = gcGoal(c.t, (d) => 50 * MiB * d);
      return {
        vmRss,
        rssAnon: vmRss - 10 * MiB,
        heapInuse: 6 * MiB + 110 * MiB * level,
        goSys: 14 * MiB + 120 * MiB * level,
        heapReleased: 2 * MiB,
        goroutines: 6,
        ...(withLive && { goHeapGoal: goal, liveHeap: goal / 2 }),
      };
    }, goIdentity);
  // On RSS alone this is the plateau's shape.
  assert.equal(run(false).diagnosis!.verdict.kind, 'plateau');
  const s = run(true);
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'go-heap-growth', d.verdict.evidence.join('\n'));
  assert.match(
    d.verdict.evidence.join('\n'),
    /Go live heap \(after GC\) was still rising across the 10 collections seen in burst's later half \(requests 52,500 to 97,500: \+512\.0 KiB per 1,000 requests, the median between them\), against \+486\.6 KiB per 1,000 requests over the phase: the data/,
  );
  assert.match(failOnReason(parseFailOn('growth'), s) ?? '', /go-heap-growth/);
});

test('a plateau needs every idle window after the load flat: growth at rest in the first of two is a leak', () => {
  const phases = [
    ...SOAK.slice(0, 2),
    { name: 'idle-1', kind: 'idle' as const, startT: 345, endT: 645 },
    { name: 'idle-2', kind: 'idle' as const, startT: 645, endT: 945 },
  ];
  const spec = (growAtRest: boolean) =>
    seriesRun({
      phases,
      endT: SOAK_END,
      seed: 5,
      target: { kind: 'command', label: 'cmd', identity: goIdentity },
      figures: (c) => {
        const done = burstDone(c.t);
        // Live data +8 MiB over idle-1 (96 MiB/h; RSS and Go sys with it), nothing in idle-2:
        // the last idle phase alone looks flat.
        const atRest = growAtRest ? 8 * MiB * Math.min(1, Math.max(0, (c.t - 345) / 300)) : 0;
        const out = goHeap(c, done, filled, true, atRest);
        return { ...out, liveHeap: out.liveHeap! + atRest };
      },
    });
  const flat = summarise(readRunDir(writeSyntheticRun(spec(false)))).diagnosis!;
  assert.equal(flat.verdict.kind, 'plateau', flat.verdict.evidence.join('\n'));
  const grew = summarise(readRunDir(writeSyntheticRun(spec(true)))).diagnosis!;
  assert.equal(grew.verdict.kind, 'go-heap-growth', grew.verdict.evidence.join('\n'));
  assert.match(
    grew.verdict.evidence.join('\n'),
    /Go live heap \(after GC\) grew at rest in idle-1, after the load \(\+[\d.]+ MiB\/h\): growth at rest is a leak, so this is not a plateau/,
  );
});

test('a heap leak whose last GC in the burst came at 70% of it: growth, not a flat tail (the figure is stale between collections)', () => {
  // Measured: a heap leak whose last GC came at request 42,000 of 60,000 read as flat over the
  // burst's last quarter. Collections here at 310, 320, 330 and 333 s of a burst from 305 to 345 s.
  const gcs = [0, 100, 200, 310, 320, 330, 333, 600, 900];
  const s = summaryOf((c, done) => {
    const lastGc = Math.max(...gcs.filter((g) => g <= c.t));
    const goal = 2 * (4 * MiB + 60 * MiB * burstDone(lastGc));
    const vmRss = 20 * MiB + 120 * MiB * Math.min(1, done / 0.7) + 64 * KiB * c.noise();
    return {
      vmRss,
      rssAnon: vmRss - 10 * MiB,
      heapInuse: 6 * MiB + 110 * MiB * Math.min(1, done / 0.7),
      goSys: 14 * MiB + 120 * MiB * Math.min(1, done / 0.7),
      heapReleased: 2 * MiB,
      goroutines: 6,
      goHeapGoal: goal,
      liveHeap: goal / 2,
    };
  }, goIdentity);
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'go-heap-growth', d.verdict.evidence.join('\n'));
  assert.match(
    d.verdict.evidence.join('\n'),
    /was still rising between the last two collections seen in burst \(requests 62,500 and 70,000/,
  );
});

test('a full cache with too few collections late in the burst to shape its live heap: the live data kept, sized to its goal, holds RSS: plateau', () => {
  // Live data full at 40% of the burst; a GC every 15 s, so the live heap did not change twice
  // in the burst's later half; RSS holds about 2.2 × the data (its goal at GOGC=100, plus
  // runtime memory), heap in use the data alone: under half of what RSS holds.
  const data = (done: number): number => 40 * MiB * Math.min(1, done / 0.4);
  const s = summaryOf((c, done) => {
    const vmRss = 20 * MiB + 2.2 * data(done) + 64 * KiB * c.noise();
    const atGc = data(burstDone(Math.floor(c.t / 15) * 15));
    return {
      vmRss,
      rssAnon: vmRss - 10 * MiB,
      heapInuse: 6 * MiB + data(done) + 128 * KiB * c.noise(),
      goSys: 14 * MiB + 2.2 * data(done),
      heapReleased: 2 * MiB,
      goroutines: 6,
      goHeapGoal: 2 * (4 * MiB + atGc),
      liveHeap: 4 * MiB + atGc,
    };
  }, goIdentity);
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'plateau', d.verdict.evidence.join('\n'));
  assert.equal(d.plateau!.holder, 'live-heap');
  assert.equal(failOnReason(parseFailOn('growth'), s), undefined);
});

test('Node.js memory outside the V8 heap rising at rest with no major GC: not a leak yet; with collections through it, growth outside the runtime', () => {
  const run = (gcAtRest: boolean) =>
    summaryOf((c, done) => {
      // The burst grows the V8 heap the runtime keeps; at rest only memory outside it rises.
      const rest = c.t > 345 ? (c.t - 345) / 600 : 0;
      const vmRss = 50 * MiB + 20 * MiB * done + 4 * MiB * rest + 32 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 20 * MiB,
        v8HeapUsed: 8 * MiB,
        v8HeapTotal: 12 * MiB + 20 * MiB * done,
        nodeExternal: 2 * MiB,
        v8MajorGcs: c.t <= 345 || !gcAtRest ? Math.floor(Math.min(c.t, 345) / 10) : Math.floor(c.t / 10),
      };
    }, node);
  const quiet = run(false).diagnosis!.verdict;
  assert.ok(!GROWTH_VERDICTS.includes(quiet.kind), quiet.evidence.join('\n'));
  assert.match(
    quiet.evidence.join('\n'),
    /with no collection in it \(V8 major GCs unchanged\): .* cannot tell a leak from garbage not yet collected/,
  );
  const collected = run(true).diagnosis!.verdict;
  assert.equal(collected.kind, 'growth-outside-runtime', collected.evidence.join('\n'));
});
