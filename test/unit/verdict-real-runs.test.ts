import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '../../src/analyse/diagnosis.ts';
import { diagnose } from '../../src/analyse/verdict.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { materialise } from '../helpers/fixture-run.ts';

/**
 * Real runs of the bundled server on a 2-core machine (go1.26.8, gin v1.9.1), kept as
 * fixtures so the thresholds stay honest against measured data, not only synthetic series:
 * 8 minutes of kubelet-style probes against each build, and a soak (60 s probes, 300,000
 * requests over 100 connections, 180 s probes) against each. NDJSON files are gzipped.
 */
function realRun(name: string): Diagnosis {
  const from = fileURLToPath(new URL(`../fixtures/runs/${name}/`, import.meta.url));
  return diagnose(readRunDir(materialise(from)));
}

const perHour = (d: Diagnosis, window: string): number =>
  d.figures.find((f) => f.key === 'vmRss')!.windows.find((w) => w.window === window)!.perHour!.rate!;

test('race build, 8 min of probes: RSS outside the Go runtime grows about 120 MiB/h', () => {
  const d = realRun('idle-race');
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.ok(perHour(d, 'idle') > 60 * 2 ** 20, `rate ${perHour(d, 'idle')}`);
  assert.match(d.verdict.summary, /golang\/go#63276/);
});

test('plain build, 8 min of probes: a warm-up that levels off is stable', () => {
  const d = realRun('idle-plain');
  assert.equal(d.verdict.kind, 'stable', d.verdict.evidence.join('\n'));
  const rss = d.figures.find((f) => f.key === 'vmRss')!.windows[0]!.perHour!;
  assert.equal(rss.trend, 'flat');
  assert.match(rss.why ?? '', /levelled off/);
});

test('race build soak: about 500 KiB per 1,000 requests under load, outside the Go runtime', () => {
  const d = realRun('soak-race');
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  const burst = d.figures.find((f) => f.key === 'vmRss')!.windows.find((w) => w.window === 'burst')!.per1k!;
  assert.equal(burst.trend, 'growing');
  assert.ok(burst.rate! > 400 * 1024 && burst.rate! < 650 * 1024, `rate ${burst.rate}`);
  const heap = d.figures.find((f) => f.key === 'heapInuse')!.windows.find((w) => w.window === 'burst')!.per1k!;
  assert.notEqual(heap.trend, 'growing');
});

test('plain build soak: stable; the first minute of a fresh process is a warm-up, not a leak', () => {
  const d = realRun('soak-plain');
  assert.equal(d.verdict.kind, 'stable', d.verdict.evidence.join('\n'));
  assert.ok(
    d.verdict.evidence.some((e) => /rose in idle-before .* but not in idle-after .*warming up/.test(e)),
    d.verdict.evidence.join('\n'),
  );
});
