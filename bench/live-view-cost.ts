/**
 * What the live view (--live) costs a run: a record handed to it with no page open, and the
 * provisional analysis a page gets every few seconds (run in a worker, off the run's thread)
 * at the sizes of a 10-minute, a 90-minute and a 1-hour-at-100-ms run.
 *
 *   npx tsx bench/live-view-cost.ts
 */
import { performance } from 'node:perf_hooks';
import { LiveServer } from '../src/live/live-server.ts';
import { liveAnalysis } from '../src/live/live-analysis.ts';
import { SCHEMA, type RunFile, type Sample } from '../src/rundir/schema.ts';

const run: RunFile = {
  schema: SCHEMA.run,
  scenario: 'idle',
  status: 'running',
  startedAt: new Date(0).toISOString(),
  startedAtMs: 0,
  options: {},
  target: { kind: 'bundled', label: 'race', url: '' },
  versions: { leakbench: '0', node: process.version, autocannon: '', os: '' },
  phases: [{ name: 'idle', kind: 'idle', params: {}, startT: 0 }],
};

/** Every figure the sampler takes from /proc and /metrics, RSS climbing with some noise. */
const sample = (i: number): Sample => ({
  t: i,
  vmRss: 4e7 + i * 2e4 + (i % 7) * 1e5,
  pss: 4e7 + i * 2e4,
  rssAnon: 3e7 + i * 2e4,
  rssFile: 1e7,
  vmHwm: 5e7 + i * 2e4,
  threads: 8,
  anonymous: 3e7 + i * 2e4,
  heapInuse: 4e6 + (i % 50) * 1e4,
  stackInuse: 1e6,
  goSys: 1.3e7,
  heapReleased: 1e6,
  goroutines: 7,
});

const N = 100_000;
const samples = Array.from({ length: N }, (_, i) => sample(i));
const live = await LiveServer.start({ port: 0, host: '127.0.0.1' });
live.attach({ run, dir: 'bench', now: () => 0 });
for (const s of samples.slice(0, 1000)) live.onSample(s);
let t0 = performance.now();
for (const s of samples) live.onSample(s);
console.log(
  `record with no page open: ${(((performance.now() - t0) * 1e6) / N).toFixed(0)} ns per sample (${N.toLocaleString('en-US')} samples)`,
);
await live.finish({ status: 'completed' });

for (const n of [600, 5400, 36_000]) {
  const part = samples.slice(0, n);
  liveAnalysis({ run, samples: part, load: [], events: [], now: n });
  const reps = 3;
  t0 = performance.now();
  for (let r = 0; r < reps; r++) liveAnalysis({ run, samples: part, load: [], events: [], now: n });
  console.log(
    `provisional analysis of ${n.toLocaleString('en-US')} samples: ${((performance.now() - t0) / reps).toFixed(0)} ms (in the worker)`,
  );
}
