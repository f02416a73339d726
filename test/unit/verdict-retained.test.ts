/**
 * Retained per unit of work: two bursts of the same requests, each followed by a rest. A leak
 * retains about the same again, a cache full within the first burst nothing more, whatever the
 * curves do within a phase. Synthetic series: stand-ins for the real servers of
 * test/integration/retained-servers.test.ts, so the rules are checked on exact amounts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROWTH_VERDICTS } from '../../src/analyse/diagnosis.ts';
import { shapeOf } from '../../src/analyse/retained.ts';
import { summarise } from '../../src/analyse/summarise.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import type { TargetIdentity } from '../../src/rundir/schema.ts';
import { requestsAt, seriesRun, KiB, MiB, type PhaseSpec, type SeriesContext } from '../helpers/synthetic-series.ts';
import { writeSyntheticRun } from '../helpers/synthetic-run.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { materialise } from '../helpers/fixture-run.ts';

const TWO: PhaseSpec[] = [
  { name: 'idle-before', kind: 'idle', startT: 5, endT: 65 },
  { name: 'burst-1', kind: 'burst', startT: 65, endT: 85, requests: 50_000 },
  { name: 'rest-1', kind: 'idle', startT: 85, endT: 145 },
  { name: 'burst-2', kind: 'burst', startT: 145, endT: 165, requests: 50_000 },
  { name: 'idle-after', kind: 'idle', startT: 165, endT: 225 },
];
const bursts = TWO.filter((p) => p.kind === 'burst');
/** Burst requests served by t (probes left out). */
const served = (t: number): number => requestsAt(bursts, t);

const goIdentity: TargetIdentity = {
  pid: 1,
  executable: '/srv/app',
  runtime: 'go',
  runtimeVersion: 'go1.26.8',
  runtimeEvidence: 'Go build info in the executable',
  goBuild: { goVersion: 'go1.26.8', deps: [], settings: [{ key: 'CGO_ENABLED', value: '1' }] },
};

function summaryOf(live: (c: SeriesContext) => number, opts: { garbage?: boolean; seed?: number } = {}) {
  const spec = seriesRun({
    phases: TWO,
    endT: 230,
    every: 0.5,
    seed: opts.seed ?? 3,
    figures: (c) => {
      const l = live(c);
      const underLoad = c.phase?.kind === 'burst';
      // Heap in use climbs towards the goal (twice the live heap) under load, with garbage.
      const inuse = 6 * MiB + l + (underLoad || opts.garbage ? l * 0.8 * Math.abs(Math.sin(c.t)) : 0);
      const vmRss = 20 * MiB + Math.max(inuse, 2 * l) + 64 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 10 * MiB,
        heapInuse: inuse + 128 * KiB * c.noise(),
        liveHeap: 4 * MiB + l,
        goSys: 14 * MiB + Math.max(inuse, 2 * l) * 1.05,
        heapReleased: 2 * MiB,
        goroutines: 8,
      };
    },
    target: { kind: 'command', label: 'app', identity: goIdentity },
  });
  return summarise(readRunDir(writeSyntheticRun(spec)));
}

test('a leak of 1 KiB per request: growth, retained about 1 KiB per request, with the projection per 1M', () => {
  const s = summaryOf((c) => served(c.t) * KiB);
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'go-heap-growth', d.verdict.evidence.join('\n'));
  const live = d.retained!.figures.find((f) => f.role === 'live-heap')!;
  assert.equal(live.shape, 'leak');
  assert.ok(Math.abs(live.per1k - 1000 * KiB) < 0.05 * 1000 * KiB, `${live.per1k}`);
  assert.ok(live.low <= live.per1k && live.per1k <= live.high);
  assert.match(d.verdict.summary, /per 1M requests/);
  assert.match(d.verdict.evidence[0]!, /^Deciding figure: Go live heap/);
});

test('a cache full early in the first burst: bounded (plateau), whatever heap in use does under load', () => {
  const s = summaryOf((c) => Math.min(served(c.t), 5_000) * 8 * KiB, { garbage: true });
  const d = s.diagnosis!;
  assert.equal(d.verdict.kind, 'plateau', d.verdict.evidence.join('\n'));
  assert.ok(!GROWTH_VERDICTS.includes(d.verdict.kind));
  assert.equal(d.retained!.figures.find((f) => f.role === 'live-heap')!.shape, 'bounded');
  assert.match(d.verdict.summary, /filled within the first burst \(50,000 requests\)/);
});

test('a cache that fills late in the first burst: still bounded', () => {
  const s = summaryOf((c) => Math.min(served(c.t), 45_000) * KiB);
  assert.equal(s.diagnosis!.verdict.kind, 'plateau', s.diagnosis!.verdict.evidence.join('\n'));
});

test('garbage-heavy, keeps nothing: stable', () => {
  const s = summaryOf(() => 0, { garbage: true });
  assert.equal(s.diagnosis!.verdict.kind, 'stable', s.diagnosis!.verdict.evidence.join('\n'));
});

test('the shape rule: nothing, bounded, warm-up, leak against the band', () => {
  const b = (added: number[]) =>
    added.map((a, i) => ({
      burst: `b${i}`,
      rest: `r${i}`,
      requests: 1000,
      totalRequests: 1000 * (i + 1),
      retained: added.slice(0, i + 1).reduce((x, y) => x + y, 0),
      added: a,
    }));
  assert.equal(shapeOf(b([10, 5]), 20), 'nothing');
  assert.equal(shapeOf(b([100, 5]), 20), 'bounded');
  assert.equal(shapeOf(b([100, 30]), 20), 'warm-up');
  assert.equal(shapeOf(b([100, 60]), 20), 'leak');
  assert.equal(shapeOf(b([100, 95, 102]), 20), 'leak');
});

test('no verdict contradicts its evidence: every fixture run, and the repeated-burst shapes', async () => {
  const { contradictions } = await import('../../src/analyse/verdict-consistency.ts');
  const runs = join(import.meta.dirname, '../fixtures/runs');
  for (const name of readdirSync(runs, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)) {
    const d = summarise(readRunDir(materialise(join(runs, name)))).diagnosis!;
    assert.deepEqual(contradictions(d), [], `${name}: ${d.verdict.summary}`);
  }
  for (const live of [
    (c: SeriesContext) => served(c.t) * KiB,
    (c: SeriesContext) => Math.min(served(c.t), 5_000) * KiB,
    () => 0,
  ])
    assert.deepEqual(contradictions(summaryOf(live).diagnosis!), []);
});

test('the contradiction check fails a verdict that says stable at 10x its baseline, or "did not level off" against "levelled off"', async () => {
  const { contradictions } = await import('../../src/analyse/verdict-consistency.ts');
  const d = summaryOf(() => 0).diagnosis!;
  const tenfold = { ...d, held: { ...d.held!, end: 10 * d.held!.baseline } };
  assert.equal(contradictions(tenfold).length, 1);
  const words = {
    ...d,
    verdict: {
      ...d.verdict,
      kind: 'go-heap-growth' as const,
      summary: "the load's growth did not level off",
      evidence: ['RSS levelled off 3 s into burst-1'],
    },
  };
  assert.ok(contradictions(words).some((c) => /did not level off/.test(c)));
});

test('bursts that disagree are uneven, never a leak: nothing beyond noise, then something', () => {
  const b = (added: number, i: number) => ({
    burst: `burst-${i}`,
    rest: `rest-${i}`,
    requests: 40_000,
    totalRequests: 40_000 * i,
    retained: added,
    added,
  });
  const band = 512 * KiB;
  // A -race build's live heap, measured: -1.1 MiB after the first burst, +1.3 MiB after the second.
  assert.equal(shapeOf([b(-1.1 * MiB, 1), b(1.3 * MiB, 2)], band), 'uneven');
  // Three bursts: the two after the first each beyond noise at the same rate read as a leak.
  assert.equal(shapeOf([b(0, 1), b(4 * MiB, 2), b(4 * MiB, 3)], band), 'leak');
  assert.equal(shapeOf([b(0, 1), b(4 * MiB, 2), b(0, 3)], band), 'bounded');
  assert.equal(shapeOf([b(0, 1), b(0, 2), b(4 * MiB, 3)], band), 'uneven');
  // Each burst beyond noise at about the same rate: a leak, as before.
  assert.equal(shapeOf([b(4 * MiB, 1), b(4 * MiB, 2)], band), 'leak');
});

// ─── RSS at rest while every heap figure is flat (Python: glibc's arenas per thread) ────────

const pythonIdentity: TargetIdentity = {
  pid: 1,
  executable: '/usr/bin/python3.11',
  runtime: 'python',
  runtimeVersion: '3.11',
  runtimeEvidence: 'executable python3.11',
};

/**
 * A Python server with a cache of 1,000 entries of 8 KiB (full within the first burst), whose
 * RSS rises by `restRise` over idle-after while no request but the probes comes (a new thread
 * per probe's connection, each with its own malloc arena); the traced heap rises by
 * `heapRise` over the same phase. Without `traced`, no heap figure at all (tracemalloc off).
 */
function pythonAtRest(restRise: number, opts: { heapRise?: number; traced?: boolean } = {}) {
  const after = TWO.at(-1)!;
  const spec = seriesRun({
    phases: TWO,
    endT: 230,
    every: 0.5,
    seed: 5,
    figures: (c) => {
      const resting = Math.min(1, Math.max(0, (c.t - after.startT) / (after.endT - after.startT)));
      const traced = 3 * MiB + Math.min(served(c.t), 1_000) * 8 * KiB + resting * (opts.heapRise ?? 0);
      const vmRss = 24 * MiB + traced + resting * restRise + 32 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 8 * MiB,
        threads: 2,
        ...(opts.traced === false ? {} : { pyTracedBytes: traced + 16 * KiB * c.noise() }),
      };
    },
    target: { kind: 'command', label: 'python3 server.py', identity: pythonIdentity },
  });
  return summarise(readRunDir(writeSyntheticRun(spec))).diagnosis!;
}

test('RSS rising at rest under the floor while the traced heap is flat: the allocator, not growth', async () => {
  const { contradictions } = await import('../../src/analyse/verdict-consistency.ts');
  // Measured on test/fixtures/python-plain with a full cache: RSS +1.2 MiB over the last rest.
  const d = pythonAtRest(1.2 * MiB);
  const rest = d.figures.find((f) => f.key === 'vmRss')!.windows.find((w) => w.window === 'idle-after')!;
  assert.equal(rest.perHour?.trend, 'growing', 'the stand-in must show RSS growing at rest');
  assert.ok(!GROWTH_VERDICTS.includes(d.verdict.kind), `${d.verdict.kind}: ${d.verdict.evidence.join('\n')}`);
  assert.equal(d.verdict.kind, 'plateau');
  assert.match(d.verdict.evidence.join('\n'), /rose \+1\.2 MiB \(fitted\) in idle-after while Python traced heap/);
  assert.deepEqual(contradictions(d), []);
});

test('RSS rising at rest beyond the floor, or with the traced heap, or with no heap figure: still growth', () => {
  // The same rise with a heap figure rising too (kept data), a larger rise, or nothing but RSS.
  for (const [what, d] of [
    ['beyond the floor', pythonAtRest(3 * MiB)],
    ['with the traced heap rising', pythonAtRest(1.2 * MiB, { heapRise: 1.2 * MiB })],
    ['with no heap figure', pythonAtRest(1.2 * MiB, { traced: false })],
  ] as const)
    assert.ok(GROWTH_VERDICTS.includes(d.verdict.kind), `${what}: ${d.verdict.kind}: ${d.verdict.evidence.join('\n')}`);
});

// ─── A JVM that uncommits heap at rest (what it held is its high-water mark) ─────────────────

const jvmIdentity: TargetIdentity = {
  pid: 1,
  executable: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
  runtime: 'jvm',
  runtimeVersion: '17',
  runtimeEvidence: 'executable java',
};

/**
 * A JVM whose bounded cache holds 16 MiB of Java heap used, committing 388 MiB and shrinking
 * to 120 then 40 MiB at the rests (test/fixtures/jvm-plain's cache went 388, 220, 96), its RSS
 * rising `rssPerBurst` with each burst while its heap used stays bounded.
 */
function jvmShrinking(rssPerBurst: number) {
  const spec = seriesRun({
    phases: TWO,
    endT: 230,
    every: 0.5,
    seed: 7,
    figures: (c) => {
      const done = bursts.filter((b) => c.t >= b.endT!).length;
      const committed = c.phase?.kind === 'burst' || done === 0 ? 388 * MiB : done === 1 ? 120 * MiB : 40 * MiB;
      const vmRss = 120 * MiB + Math.min(served(c.t), 100_000) * (rssPerBurst / 50_000) + 64 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 20 * MiB,
        threads: 20,
        jvmHeapUsed: 16 * MiB + (c.phase?.kind === 'burst' ? 40 * MiB * Math.abs(Math.sin(c.t)) : 0),
        jvmHeapCommitted: committed,
        jvmNonHeapCommitted: 30 * MiB,
        jvmGcs: Math.floor(c.t / 2),
      };
    },
    target: { kind: 'command', label: 'java Server.java', identity: jvmIdentity },
  });
  return summarise(readRunDir(writeSyntheticRun(spec))).diagnosis!;
}

test('a JVM shrinking its committed heap at rest: memory outside it measured against the most it committed, no growth outside', () => {
  const d = jvmShrinking(1.8 * MiB);
  const outside = d.figures.find((f) => f.key === 'outsideRuntime')!;
  // RSS less what the JVM commits now would have "grown" by what it uncommitted: 0, then 33.6 MiB.
  assert.ok(
    Math.max(...outside.windows.map((w) => w.end ?? 0)) === 0,
    JSON.stringify(outside.windows.map((w) => w.end)),
  );
  assert.notEqual(d.verdict.kind, 'growth-outside-runtime', d.verdict.evidence.join('\n'));
  // Native memory past the most the JVM committed still shows: 300 MiB more a burst.
  const leak = jvmShrinking(300 * MiB);
  assert.equal(leak.verdict.kind, 'growth-outside-runtime', leak.verdict.evidence.join('\n'));
});
