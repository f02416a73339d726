/**
 * Builds run directories on disk from plain values, written with the pack's own writers, so
 * analysis and report tests read exactly what a live run would leave behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../src/rundir/json.ts';
import { NdjsonWriter } from '../../src/rundir/ndjson.ts';
import {
  FILES,
  SCHEMA,
  type LoadSecond,
  type PhaseLoadSummary,
  type Probe,
  type RunEvent,
  type RunFile,
  type Sample,
  type SchemaId,
} from '../../src/rundir/schema.ts';

export const MiB = 1024 * 1024;
export const KiB = 1024;

/** A run to write. A series set to `null` leaves its file out altogether. */
export interface SyntheticRun {
  run: RunFile;
  samples: Sample[] | null;
  load: LoadSecond[] | null;
  probes: Probe[] | null;
  events: RunEvent[] | null;
}

export const STARTED_AT_MS = Date.UTC(2024, 0, 15, 10, 0, 0);

export function tempDir(prefix = 'leakbench-run-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function baseRunFile(overrides: Partial<RunFile> = {}): RunFile {
  return {
    schema: SCHEMA.run,
    scenario: 'burst',
    status: 'completed',
    startedAt: new Date(STARTED_AT_MS).toISOString(),
    startedAtMs: STARTED_AT_MS,
    endedAt: new Date(STARTED_AT_MS + 100_500).toISOString(),
    options: {},
    target: {
      kind: 'bundled',
      label: 'race',
      url: 'http://127.0.0.1:8080/health_check',
      variant: 'race',
      buildFlags: ['-race', '-ldflags=-s -w'],
      pid: 4242,
    },
    versions: { leakbench: '0.1.0', node: 'v20.20.2', autocannon: '9.0.0', go: 'go1.19.13', os: 'linux 6.1 x64' },
    phases: [],
    ...overrides,
  };
}

/** Writes `spec` into `dir` (a new temp dir by default) and returns the directory. */
export function writeSyntheticRun(spec: SyntheticRun, dir: string = tempDir()): string {
  writeJsonAtomic(join(dir, FILES.run), spec.run);
  const header = (schema: SchemaId) => ({ schema, startedAtMs: spec.run.startedAtMs });
  const series = <T>(file: string, schema: SchemaId, records: T[] | null): void => {
    if (records === null) return;
    const w = new NdjsonWriter<T>(join(dir, file), header(schema));
    for (const r of records) w.write(r);
    w.close();
  };
  series(FILES.samples, SCHEMA.samples, spec.samples);
  series(FILES.load, SCHEMA.load, spec.load);
  series(FILES.probes, SCHEMA.probes, spec.probes);
  series(FILES.events, SCHEMA.events, spec.events);
  return dir;
}

export const BURST_RESULT: PhaseLoadSummary = {
  phase: 'burst',
  kind: 'burst',
  requested: 1_000_000,
  sent: 1_000_000,
  completed: 999_990,
  errors: 10,
  timeouts: 4,
  non2xx: 0,
  statusCodes: { '200': 999_990 },
  durationS: 90,
  rate: 11_111,
  latency: { mean: 8.1, p50: 7.5, p90: 12.25, p99: 21.5, p999: 40, max: 120.75, min: 0.21 },
};

/**
 * The report's picture: one burst phase from t=5 to t=95, VmRSS climbing linearly from 30 MiB
 * to 280 MiB over 101 samples (t = 0..100), while Go heap in use wobbles around 6 MiB.
 * Exact values: vmRss(i) = 30 MiB + i * 2.5 MiB; heapInuse(i) = 6 MiB + (i odd ? 64 KiB : 0).
 */
export function leakingBurstRun(opts: { runtimeMetrics?: boolean } = {}): SyntheticRun {
  const runtime = opts.runtimeMetrics ?? true;
  const samples: Sample[] = [];
  for (let i = 0; i <= 100; i++) {
    const s: Sample = { t: i, vmRss: 30 * MiB + i * 2.5 * MiB, pss: 29 * MiB + i * 2.5 * MiB, threads: 8 };
    if (runtime) {
      s.heapInuse = 6 * MiB + (i % 2) * 64 * KiB;
      s.stackInuse = 1 * MiB;
      s.goSys = 24 * MiB;
      // About two per keep-alive connection while the burst runs.
      s.goroutines = i >= 5 && i <= 95 ? 205 + (i % 3) : 5;
    }
    samples.push(s);
  }
  const load: LoadSecond[] = [];
  for (let t = 6; t <= 95; t++)
    load.push({
      phase: 'burst',
      t,
      completed: 11_111,
      errors: t === 50 ? 10 : 0,
      timeouts: t === 50 ? 4 : 0,
      non2xx: 0,
      p50: 7.5,
      p99: 21.5,
      max: 30,
    });
  return {
    run: baseRunFile({
      phases: [
        {
          name: 'burst',
          kind: 'burst',
          params: { requests: 1_000_000, connections: 100 },
          startT: 5,
          endT: 95,
          result: BURST_RESULT,
        },
      ],
    }),
    samples,
    load,
    probes: null,
    events: [
      { t: 0, type: 'run-start', message: 'burst: 1M requests' },
      { t: 1, type: 'target-ready', message: 'http://127.0.0.1:8080/health_check answers' },
      { t: 5, type: 'phase-start', phase: 'burst' },
      { t: 95, type: 'phase-end', phase: 'burst' },
      { t: 100, type: 'target-exit', code: null, signal: 'SIGTERM', message: 'stopped by the pack (signal SIGTERM)' },
      { t: 100.5, type: 'run-end', message: 'completed' },
    ],
  };
}

/**
 * An idle run killed mid-phase: run.json has no `result` for the phase, so the summary has to
 * rebuild it from probes.ndjson. Ten probes at 1/s from t=2: probe 3 gets a 503, probe 7 times
 * out; latencies are 1..10 ms, lateness 0..9 ms.
 */
export function interruptedIdleRun(): SyntheticRun {
  const probes: Probe[] = [];
  for (let seq = 0; seq < 10; seq++) {
    const scheduledT = 2 + seq;
    const p: Probe = { phase: 'idle', seq, scheduledT, sentT: scheduledT + seq / 1000 };
    if (seq === 7) p.error = 'timeout after 1000 ms';
    else {
      p.status = seq === 3 ? 503 : 200;
      p.latencyMs = seq + 1;
    }
    probes.push(p);
  }
  const run = baseRunFile({
    scenario: 'idle',
    status: 'interrupted',
    endReason: 'interrupted by SIGINT',
    phases: [{ name: 'idle', kind: 'idle', params: { rate: 1, durationMs: 60_000, timeoutMs: 1000 }, startT: 2 }],
  });
  delete run.endedAt;
  return {
    run,
    samples: Array.from({ length: 13 }, (_, t) => ({ t, vmRss: 12 * MiB + t * 4 * KiB })),
    load: null,
    probes,
    events: [
      { t: 0, type: 'run-start' },
      { t: 2, type: 'phase-start', phase: 'idle' },
      { t: 6, type: 'warning', message: 'metrics scrape failed: connection refused' },
    ],
  };
}

/**
 * A 90-minute attach-mode run against a pod, like the report's graph: a short warm-up burst,
 * then probes at 1/s. cgroup memory climbs 50 KiB/s from 40 MiB, the pod is OOM-killed at
 * t=3000 (a target-exit) and restarts at 40 MiB; /metrics answers nothing for 30 s while it
 * restarts, so the Go figures have a gap. Samples every second: 5,400 of them.
 */
export function sawtoothAttachRun(): SyntheticRun {
  const samples: Sample[] = [];
  const load: LoadSecond[] = [];
  for (let t = 0; t < 5400; t++) {
    const sinceStart = t < 3000 ? t : t - 3000;
    const s: Sample = { t, cgroupMemory: 40 * MiB + sinceStart * 50 * KiB };
    if (t < 3000 || t >= 3030) {
      s.processRss = 30 * MiB + sinceStart * 48 * KiB;
      s.heapInuse = 6 * MiB + (t % 7) * 16 * KiB;
      s.stackInuse = 768 * KiB;
      s.goSys = 24 * MiB;
      s.goroutines = 9;
    }
    samples.push(s);
    if (t >= 11 && t <= 30)
      load.push({
        phase: 'warmup',
        t,
        completed: 9000 + (t % 3) * 100,
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        p50: 3.5,
        p99: 12,
      });
    if (t >= 61 && (t < 3000 || t >= 3030))
      load.push({
        phase: 'probes',
        t,
        completed: 1,
        errors: 0,
        timeouts: 0,
        non2xx: 0,
        p50: 1.1 + (t % 5) / 10,
        p99: 1.1 + (t % 5) / 10,
      });
    if (t >= 3000 && t < 3030) load.push({ phase: 'probes', t, completed: 0, errors: 1, timeouts: 0, non2xx: 0 });
  }
  return {
    run: baseRunFile({
      scenario: 'soak',
      endedAt: new Date(STARTED_AT_MS + 5_400_000).toISOString(),
      target: {
        kind: 'attach',
        label: 'gin-pod',
        url: 'http://10.0.0.12:8080/health_check',
        metricsUrl: 'http://10.0.0.12:8080/metrics',
      },
      phases: [
        {
          name: 'warmup',
          kind: 'burst',
          params: { requests: 180_000, connections: 100 },
          startT: 10,
          endT: 30,
          result: {
            ...BURST_RESULT,
            phase: 'warmup',
            requested: 180_000,
            sent: 180_000,
            completed: 180_000,
            errors: 0,
            timeouts: 0,
            statusCodes: { '200': 180_000 },
            durationS: 20,
            rate: 9000,
          },
        },
        {
          name: 'probes',
          kind: 'idle',
          params: { rate: 1, durationMs: 5_340_000, timeoutMs: 1000 },
          startT: 60,
          endT: 5400,
        },
      ],
    }),
    samples,
    load,
    probes: null,
    events: [
      { t: 10, type: 'phase-start', phase: 'warmup' },
      { t: 30, type: 'phase-end', phase: 'warmup' },
      { t: 60, type: 'phase-start', phase: 'probes' },
      { t: 3000, type: 'target-exit', code: 137, signal: null, message: 'OOM killed' },
      { t: 3001, type: 'warning', message: 'metrics scrape failed: ECONNREFUSED' },
      { t: 5400, type: 'phase-end', phase: 'probes' },
    ],
  };
}
