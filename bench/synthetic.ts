/**
 * A long run written with the pack's own writers (through the test helpers), for timing the
 * report stage without waiting an hour for a real one.
 */
import type { LoadSecond, PhaseLoadSummary, Probe, RunEvent, Sample } from '../src/rundir/schema.ts';
import { baseRunFile, KiB, MiB, STARTED_AT_MS, writeSyntheticRun } from '../test/helpers/synthetic-run.ts';

export interface LongRunSpec {
  /** Run length in seconds (3600 for the benchmark). */
  durationS: number;
  /** Sampling interval in ms (100 for the benchmark). */
  sampleIntervalMs: number;
  /** Requests in the burst at the start (1,000,000). */
  burstRequests: number;
  /** Probes sent by the idle phase over the rest of the run. */
  probes: number;
}

const BURST_START_S = 10;
const BURST_RATE = 50_000;

/**
 * The report's picture stretched to an hour: a burst of `burstRequests` at 50k/s, then probes
 * until the end. RSS climbs 40 KiB/s with a sawtooth (an OOM kill at 60% of the run), Go heap
 * wobbles flat; every figure the sampler knows is present, so every line is drawn.
 */
export function writeLongRun(spec: LongRunSpec, dir?: string): string {
  const { durationS, sampleIntervalMs, burstRequests, probes: probeCount } = spec;
  const burstS = Math.max(1, Math.ceil(burstRequests / BURST_RATE));
  const burstEnd = BURST_START_S + burstS;
  const idleStart = burstEnd + 5;
  const killAt = Math.round(durationS * 0.6);

  const samples: Sample[] = [];
  const n = Math.floor((durationS * 1000) / sampleIntervalMs) + 1;
  for (let i = 0; i < n; i++) {
    const t = Math.round(i * sampleIntervalMs) / 1000;
    const since = t < killAt ? t : t - killAt;
    const rss = 30 * MiB + since * 40 * KiB + (i % 13) * 4 * KiB;
    samples.push({
      t,
      vmRss: rss,
      rssAnon: rss - 8 * MiB,
      rssFile: 8 * MiB,
      vmHwm: rss + 64 * KiB,
      threads: 9 + (i % 3),
      pss: rss - 512 * KiB,
      anonymous: rss - 8 * MiB,
      cgroupMemory: rss + 12 * MiB,
      processRss: rss + 128 * KiB,
      heapInuse: 6 * MiB + (i % 7) * 16 * KiB,
      stackInuse: 768 * KiB + (i % 5) * 8 * KiB,
      goSys: 24 * MiB,
      heapReleased: 2 * MiB,
      goroutines: t >= BURST_START_S && t < burstEnd ? 205 : 7,
    });
  }

  const load: LoadSecond[] = [];
  let left = burstRequests;
  for (let s = 1; s <= burstS; s++) {
    const completed = Math.min(BURST_RATE, left);
    left -= completed;
    load.push({
      phase: 'burst',
      t: BURST_START_S + s,
      completed,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      p50: 1.2 + (s % 4) / 10,
      p99: 6 + (s % 5),
      max: 20,
    });
  }

  const probes: Probe[] = [];
  const idleS = durationS - idleStart;
  const rate = probeCount / idleS;
  const perSecond = new Map<number, number>();
  for (let seq = 0; seq < probeCount; seq++) {
    const scheduledT = Math.round((idleStart + seq / rate) * 1e6) / 1e6;
    const p: Probe = {
      phase: 'idle',
      seq,
      scheduledT,
      sentT: Math.round((scheduledT + ((seq * 37) % 100) / 1e6) * 1e6) / 1e6,
    };
    if (scheduledT >= killAt && scheduledT < killAt + 5) p.error = 'connect ECONNREFUSED 127.0.0.1:8080';
    else {
      p.status = 200;
      p.latencyMs = 0.4 + ((seq * 7919) % 1000) / 1000;
    }
    probes.push(p);
    const sec = Math.floor(scheduledT) + 1;
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
  }
  for (const [t, completed] of perSecond)
    load.push({ phase: 'idle', t, completed, errors: 0, timeouts: 0, non2xx: 0, p50: 0.9, p99: 1.4, max: 1.4 });

  const burstResult: PhaseLoadSummary = {
    phase: 'burst',
    kind: 'burst',
    requested: burstRequests,
    sent: burstRequests,
    completed: burstRequests,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { '200': burstRequests },
    durationS: burstS,
    rate: burstRequests / burstS,
    latency: { mean: 1.6, min: 0.05, p50: 1.3, p90: 3, p99: 8, p999: 14, max: 30 },
  };
  const idleResult: PhaseLoadSummary = {
    phase: 'idle',
    kind: 'idle',
    requested: probeCount,
    sent: probeCount,
    completed: probeCount,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { '200': probeCount },
    durationS: idleS,
    rate,
    latency: { mean: 0.9, min: 0.4, p50: 0.9, p90: 1.3, p99: 1.4, p999: 1.4, max: 1.4 },
    pacing: { p50: 0.05, p99: 0.1, max: 0.1 },
  };
  const events: RunEvent[] = [
    { t: 0, type: 'run-start', message: 'synthetic 1-hour run' },
    { t: 1, type: 'target-ready' },
    { t: BURST_START_S, type: 'phase-start', phase: 'burst' },
    { t: burstEnd, type: 'phase-end', phase: 'burst' },
    { t: idleStart, type: 'phase-start', phase: 'idle' },
    { t: killAt, type: 'target-exit', code: 137, signal: null, message: 'OOM killed' },
    { t: durationS, type: 'phase-end', phase: 'idle' },
    { t: durationS, type: 'run-end', message: 'completed' },
  ];
  return writeSyntheticRun(
    {
      run: baseRunFile({
        scenario: 'soak',
        endedAt: new Date(STARTED_AT_MS + durationS * 1000).toISOString(),
        phases: [
          {
            name: 'burst',
            kind: 'burst',
            params: { requests: burstRequests, connections: 100 },
            startT: BURST_START_S,
            endT: burstEnd,
            result: burstResult,
          },
          {
            name: 'idle',
            kind: 'idle',
            params: { rate, durationMs: idleS * 1000, timeoutMs: 1000 },
            startT: idleStart,
            endT: durationS,
            result: idleResult,
          },
        ],
      }),
      samples,
      load: load.sort((a, b) => a.t - b.t),
      probes,
      events,
    },
    dir,
  );
}
