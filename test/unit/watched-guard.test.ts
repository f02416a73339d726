import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardWatchedVerdict } from '../../src/analyse/watched-guard.ts';
import { diagnose } from '../../src/analyse/verdict.ts';
import type { Diagnosis } from '../../src/analyse/diagnosis.ts';
import type { RunData } from '../../src/rundir/read-run.ts';
import type { Sample } from '../../src/rundir/schema.ts';
import { baseRunFile, MiB } from '../helpers/synthetic-run.ts';

/** The case: 10 s at rest, 20 s of load (RSS 22 → 250 MiB, CPU busy), 60 s at rest. */
function watched(rss: (t: number) => number, cpuBusy = true): RunData {
  const samples: Sample[] = [];
  let cpu = 0.5;
  for (let t = 0; t <= 90; t++) {
    if (t > 0) cpu += cpuBusy && t > 10 && t <= 30 ? 1.6 : 0.003;
    samples.push({
      t,
      vmRss: rss(t),
      rssAnon: rss(t) - 6 * MiB,
      cpuSeconds: cpu,
      connEstablished: t > 10 && t <= 30 ? 100 : 0,
    });
  }
  const run = baseRunFile({
    scenario: 'sample',
    target: { kind: 'attach', label: 'sample', url: '', pid: 4242 },
    options: { untilSignal: true, sampleIntervalMs: 1000 },
  });
  return {
    dir: '/nonexistent',
    run,
    samples,
    samplesHeader: undefined,
    load: [],
    probes: [],
    events: [],
    warnings: [],
  };
}

const rising = (t: number) => (t <= 10 ? 22 * MiB : t <= 30 ? 22 * MiB + ((t - 10) / 20) * 228 * MiB : 250 * MiB);

function stableDiagnosis(data: RunData): Diagnosis {
  const end = data.samples.at(-1)!.vmRss!;
  const baseline = data.samples[0]!.vmRss!;
  return {
    verdict: {
      kind: 'stable',
      summary: 'No memory figure grows beyond noise.',
      evidence: ['e'],
      caveats: [],
      suggestions: [],
    },
    figures: [],
    targetExits: { count: 0, oomKills: 0 },
    held: { figure: 'vmRss', label: 'RSS (VmRSS)', baseline, end, bytes: end - baseline },
  };
}

test('a watched process at 11× its baseline that never comes down is not stable: it says when it rose and how busy it was', () => {
  const data = watched(rising);
  const v = guardWatchedVerdict(data, stableDiagnosis(data))!;
  assert.equal(v.kind, 'high-water-held');
  assert.match(v.summary, /RSS \(VmRSS\) rose from 22\.0 MiB to 250\.0 MiB \(11\.4× its baseline\) during load-1/);
  assert.match(v.summary, /held it at rest for 1 min/);
  assert.ok(
    v.evidence.some((e) => /1\.60 cores of CPU while it rose and 0\.00 after/.test(e)),
    v.evidence.join('\n'),
  );
  assert.ok(v.caveats.some((c) => /memory per request is unknown/.test(c)));
});

test('without a CPU figure the verdict says what it does not know', () => {
  const data = watched(rising);
  for (const s of data.samples) {
    delete s.cpuSeconds;
    delete s.connEstablished;
  }
  const v = guardWatchedVerdict(data, stableDiagnosis(data))!;
  assert.equal(v.kind, 'high-water-held');
  assert.ok(
    v.caveats.some((c) => /No activity figure .* was sampled/.test(c)),
    v.caveats.join('\n'),
  );
});

test('the guard leaves alone: a small warm-up, a rise that came back down, a driven run', () => {
  const small = watched((t) => (t <= 10 ? 8 * MiB : 20 * MiB));
  assert.equal(guardWatchedVerdict(small, stableDiagnosis(small)), undefined);
  const down = watched((t) => (t <= 10 || t > 40 ? 22 * MiB : 250 * MiB));
  assert.equal(guardWatchedVerdict(down, stableDiagnosis(down)), undefined);
  const driven = watched(rising);
  driven.run.scenario = 'burst';
  assert.equal(guardWatchedVerdict(driven, stableDiagnosis(driven)), undefined);
});

test('through diagnose(): the issue case is never stable', () => {
  const d = diagnose(watched(rising));
  assert.equal(d.verdict.kind, 'high-water-held', d.verdict.summary);
});
