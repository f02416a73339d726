import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClock } from '../src/load/clock.ts';
import { runIdle } from '../src/load/idle.ts';
import { NdjsonWriter } from '../src/rundir/ndjson.ts';
import { SCHEMA, type PhaseLoadSummary, type Probe, type Sample } from '../src/rundir/schema.ts';
import { Sampler } from '../src/sample/sampler.ts';
import { otherCpuMeter } from './proc.ts';

export interface PacingRun {
  rate: number;
  durationS: number;
  /** Probes the schedule has (rate x duration). */
  scheduled: number;
  /** Probes the engine says it sent, and probe records it wrote. */
  sent: number;
  recorded: number;
  completed: number;
  errors: number;
  /** |sentT - scheduledT| of every probe record, in ms (records are to the microsecond). */
  latenessMs: number[];
  /** The engine's own pacing figures, for a cross-check. */
  engine: PhaseLoadSummary['pacing'];
  /** CPU other jobs on the machine used meanwhile, in cores. */
  otherCores: number;
}

/**
 * The idle scenario's engine (runIdle: the pacer and a new connection per probe) at a higher
 * rate than the default 1/s so that hundreds of probes take seconds, with the sampler running
 * every second beside it as in a real run, and probes written to a file as a run writes them.
 */
export async function measurePacing(
  url: URL,
  pid: number,
  metricsUrl: URL,
  rate: number,
  durationS: number,
): Promise<PacingRun> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-pacing-'));
  const clock = startClock();
  const header = { startedAtMs: clock.startedAtMs };
  const probesFile = new NdjsonWriter<Probe>(join(dir, 'probes.ndjson'), { schema: SCHEMA.probes, ...header });
  const samplesFile = new NdjsonWriter<Sample>(join(dir, 'samples.ndjson'), { schema: SCHEMA.samples, ...header });
  const sampler = new Sampler({
    pid,
    metricsUrl: metricsUrl.href,
    intervalMs: 1000,
    writer: samplesFile,
    now: clock.now,
    onWarning: () => {},
  });
  const probes: Probe[] = [];
  const meter = otherCpuMeter(pid);
  try {
    sampler.start();
    const summary = await runIdle(
      { name: 'idle', url, rate, durationMs: durationS * 1000, timeoutMs: 1000 },
      {
        clock,
        signal: new AbortController().signal,
        onProbe: (p) => {
          probes.push(p);
          probesFile.write(p);
        },
        onSecond: () => {},
      },
    );
    return {
      rate,
      durationS,
      scheduled: summary.requested,
      sent: summary.sent,
      recorded: new Set(probes.map((p) => p.seq)).size,
      completed: summary.completed,
      errors: summary.errors,
      latenessMs: probes.map((p) => Math.abs(p.sentT - p.scheduledT) * 1000),
      engine: summary.pacing,
      otherCores: meter.stop(),
    };
  } finally {
    await sampler.stop();
    probesFile.close();
    samplesFile.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
