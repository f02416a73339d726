import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise } from '../../src/analyse/summarise.ts';
import { readRunDir, type RunData } from '../../src/rundir/read-run.ts';
import type { SampleFigure } from '../../src/rundir/schema.ts';
import {
  BURST_RESULT,
  baseRunFile,
  interruptedIdleRun,
  KiB,
  leakingBurstRun,
  MiB,
  sawtoothAttachRun,
  writeSyntheticRun,
  type SyntheticRun,
} from '../helpers/synthetic-run.ts';
import type { FigureSummary, SummaryFile } from '../../src/analyse/summary-file.ts';

function summaryOf(spec: SyntheticRun): SummaryFile {
  return summarise(readRunDir(writeSyntheticRun(spec)));
}

function figure(s: SummaryFile, key: SampleFigure): FigureSummary {
  const f = s.memory.find((m) => m.key === key);
  assert.ok(f, `no ${key} in summary.memory`);
  return f;
}

test('a leaking burst run: exact start, peak, end and change per figure', () => {
  const s = summaryOf(leakingBurstRun());
  assert.deepEqual(figure(s, 'vmRss'), {
    key: 'vmRss',
    label: 'RSS (VmRSS)',
    unit: 'bytes',
    samples: 101,
    start: 30 * MiB,
    peak: 280 * MiB,
    peakT: 100,
    end: 280 * MiB,
    change: 250 * MiB,
  });
  // Heap wobbles by 64 KiB on odd seconds: the peak is the first time it reached the top.
  const heap = figure(s, 'heapInuse');
  assert.equal(heap.start, 6 * MiB);
  assert.equal(heap.peak, 6 * MiB + 64 * KiB);
  assert.equal(heap.peakT, 1);
  assert.equal(heap.end, 6 * MiB);
  assert.equal(heap.change, 0);
  const goroutines = figure(s, 'goroutines');
  assert.equal(goroutines.unit, 'count');
  assert.equal(goroutines.peak, 207);
  // Figures never sampled are absent, not zero.
  assert.equal(
    s.memory.some((m) => m.key === 'cgroupMemory' || m.key === 'processRss'),
    false,
  );
  assert.deepEqual(
    s.memory.map((m) => m.key),
    ['vmRss', 'pss', 'heapInuse', 'stackInuse', 'goSys', 'goroutines', 'threads'],
  );
});

test('the headline states the growth of RSS next to Go heap in use', () => {
  const s = summaryOf(leakingBurstRun());
  assert.equal(
    s.headline,
    'RSS grew from 30.0 MiB to 280.0 MiB (+250.0 MiB, +833%) over 1 min 40 s while Go heap in use went from 6.0 MiB to 6.0 MiB (+0.0 MiB).',
  );
});

test('run facts: scenario, status, target, duration from run.json, load result passed through, target exits kept', () => {
  const s = summaryOf(leakingBurstRun());
  assert.equal(s.schema, 'leakbench.summary/3');
  assert.equal(s.scenario, 'burst');
  assert.equal(s.status, 'completed');
  assert.equal(s.target.label, 'race');
  assert.equal(s.durationS, 100.5);
  assert.deepEqual(s.load, [BURST_RESULT]);
  assert.equal(s.targetExits?.length, 1);
  assert.equal(s.targetExits?.[0]?.signal, 'SIGTERM');
  assert.deepEqual(s.warnings, []);
});

test('without runtime metrics the headline says so and no Go figure is invented', () => {
  const s = summaryOf(leakingBurstRun({ runtimeMetrics: false }));
  assert.match(s.headline, /^RSS grew from 30\.0 MiB to 280\.0 MiB \(\+250\.0 MiB, \+833%\)/);
  assert.match(s.headline, /no runtime heap figure was sampled/);
  assert.equal(
    s.memory.some((m) => m.key === 'heapInuse' || m.key === 'goroutines'),
    false,
  );
});

test('no samples, or a single one, is "not enough samples", not an error', () => {
  const none = summaryOf({ ...leakingBurstRun(), samples: [] });
  assert.deepEqual(none.memory, []);
  assert.match(none.headline, /^Not enough samples to describe memory \(0 samples taken/);

  const one = summaryOf({ ...leakingBurstRun(), samples: [{ t: 0, vmRss: 30 * MiB }] });
  assert.equal(one.memory.length, 1);
  assert.equal(figure(one, 'vmRss').change, 0);
  assert.match(one.headline, /^Not enough samples to describe memory \(1 sample taken/);
});

test('a figure missing from some samples counts only the samples that had it', () => {
  const samples = [
    { t: 0, vmRss: 10 * MiB },
    { t: 1, vmRss: 11 * MiB, heapInuse: 4 * MiB },
    { t: 2, vmRss: 12 * MiB },
    { t: 3, vmRss: 13 * MiB, heapInuse: 5 * MiB },
  ];
  const s = summaryOf({ ...leakingBurstRun(), samples });
  const heap = figure(s, 'heapInuse');
  assert.equal(heap.samples, 2);
  assert.equal(heap.start, 4 * MiB);
  assert.equal(heap.peakT, 3);
  assert.equal(heap.change, 1 * MiB);
  assert.equal(figure(s, 'vmRss').samples, 4);
});

test('RSS falls back to process_resident_memory_bytes, and a drop after a peak is told', () => {
  const s = summaryOf(sawtoothAttachRun());
  assert.match(s.headline, /^RSS \(process_resident_memory_bytes\) grew from 30\.0 MiB to 142\.5 MiB/);
  assert.match(s.headline, /peaking at 170\.6 MiB at 49 min 59 s, while Go heap in use/);
  const cgroup = figure(s, 'cgroupMemory');
  assert.equal(cgroup.samples, 5400);
  assert.equal(cgroup.peakT, 2999);
  assert.equal(figure(s, 'processRss').samples, 5370);
  assert.equal(s.targetExits?.[0]?.code, 137);
  assert.ok(s.warnings.includes('t=50 min 1 s: metrics scrape failed: ECONNREFUSED'));
});

test('a phase without a result is rebuilt from its probes, exactly', () => {
  const s = summaryOf(interruptedIdleRun());
  assert.equal(s.status, 'interrupted');
  assert.equal(s.load.length, 1);
  const idle = s.load[0]!;
  assert.equal(idle.phase, 'idle');
  assert.equal(idle.kind, 'idle');
  assert.equal(idle.requested, 60);
  assert.equal(idle.sent, 10);
  assert.equal(idle.completed, 9);
  assert.equal(idle.errors, 1);
  assert.equal(idle.timeouts, 1);
  assert.equal(idle.non2xx, 1);
  assert.deepEqual(idle.statusCodes, { '200': 8, '503': 1 });
  // Latencies of answered probes are 1..10 ms without 8 (the timed-out one).
  assert.deepEqual(idle.latency, { mean: 5.222, p50: 5, p90: 10, p99: 10, p999: 10, max: 10, min: 1 });
  assert.deepEqual(idle.pacing, { p50: 4, p99: 9, max: 9 });
  // From the phase start (t=2) to the end of the last answered probe (11.009 + 10 ms).
  assert.equal(idle.durationS, 9.019);
  assert.ok(s.warnings.some((w) => /phase "idle" has no load result .* rebuilt from probes\.ndjson/.test(w)));
  // Without endedAt the run lasted as long as its latest record.
  assert.equal(s.durationS, 12);
});

test('a burst phase without a result is rebuilt from load.ndjson, without latency percentiles', () => {
  const spec = leakingBurstRun();
  const phase = spec.run.phases[0]!;
  delete phase.result;
  delete phase.endT;
  const s = summaryOf(spec);
  const burst = s.load[0]!;
  assert.equal(burst.completed, 90 * 11_111);
  assert.equal(burst.errors, 10);
  assert.equal(burst.timeouts, 4);
  assert.equal(burst.sent, 90 * 11_111 + 10);
  assert.equal(burst.requested, 1_000_000);
  assert.equal(burst.latency, undefined);
  // From startT 5 to the end of the last bucket, t=95.
  assert.equal(burst.durationS, 90);
  assert.equal(burst.rate, 11_111);
  assert.ok(s.warnings.some((w) => /without latency percentiles/.test(w)));
});

test('warnings carry read problems and warning events, once each; a missing probes file is normal', () => {
  const spec = leakingBurstRun();
  spec.events!.push({ t: 40, type: 'warning', phase: 'burst', message: 'smaps_rollup unreadable' });
  spec.events!.push({ t: 40, type: 'warning', phase: 'burst', message: 'smaps_rollup unreadable' });
  spec.events!.push({ t: 41, type: 'warning', phase: 'burst', message: 'smaps_rollup unreadable' });
  const s = summaryOf({ ...spec, load: null });
  assert.deepEqual(s.warnings, [
    'load.ndjson is missing, so the report has no per-second load',
    't=40.0 s (burst): smaps_rollup unreadable',
    't=41.0 s (burst): smaps_rollup unreadable',
  ]);
});

test('a run.json still marked running is flagged', () => {
  const spec = leakingBurstRun();
  spec.run = baseRunFile({ status: 'running', phases: spec.run.phases });
  const s = summaryOf(spec);
  assert.ok(s.warnings.some((w) => /still says the run is running/.test(w)));
});

test('summarise is pure: the same data gives the same summary, and the input is left alone', () => {
  const data: RunData = readRunDir(writeSyntheticRun(interruptedIdleRun()));
  const before = JSON.stringify(data);
  const a = JSON.stringify(summarise(data));
  const b = JSON.stringify(summarise(data));
  assert.equal(a, b);
  assert.equal(JSON.stringify(data), before);
});
