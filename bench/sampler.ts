import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startClock } from '../src/load/clock.ts';
import { NdjsonWriter } from '../src/rundir/ndjson.ts';
import { SCHEMA, type Sample } from '../src/rundir/schema.ts';
import { Sampler } from '../src/sample/sampler.ts';
import { workSampler } from '../src/run/work-samples.ts';
import { measureBurst, type BurstMeasurement, type BurstSetup } from './burst.ts';
import { ownCpuS, processCpuS } from './proc.ts';

/** `work`: every second and at each 1% of the burst's requests, as a run samples a burst (src/run/work-samples.ts). */
export type SamplingMode = 'off' | '1s' | '100ms' | 'work';
export const SAMPLING_MODES: readonly SamplingMode[] = ['off', '1s', '100ms', 'work'];
const INTERVAL_MS: Record<Exclude<SamplingMode, 'off'>, number> = { '1s': 1000, '100ms': 100, work: 1000 };

export interface SamplerRun {
  mode: SamplingMode;
  burst: BurstMeasurement;
  samples: number;
}

function newSampler(
  setup: BurstSetup,
  metricsUrl: URL,
  intervalMs: number,
  dir: string,
): { sampler: Sampler; writer: NdjsonWriter<Sample> } {
  const clock = startClock();
  // Samples go to a file as in a real run: the write is part of what sampling costs.
  const writer = new NdjsonWriter<Sample>(join(dir, `samples-${intervalMs}.ndjson`), {
    schema: SCHEMA.samples,
    startedAtMs: clock.startedAtMs,
  });
  const sampler = new Sampler({
    pid: setup.targetPid,
    metricsUrl: metricsUrl.href,
    intervalMs,
    writer,
    now: clock.now,
    onWarning: (_s, m) => {
      // A sample that outlasts a 100 ms interval on a busy machine is skipped, as in a run: the
      // samples count shows it. Anything else is a fault of the measurement.
      if (!/longer than the .* interval/.test(m)) throw new Error(`sampler: ${m}`);
    },
  });
  return { sampler, writer };
}

/**
 * The same burst (the pack's engine) with the sampler off, every second, and every 100 ms,
 * reading /proc/PID/status, smaps_rollup, the cgroup file and scraping /metrics, as a run does.
 */
export async function measureSampledBurst(mode: SamplingMode, setup: BurstSetup, metricsUrl: URL): Promise<SamplerRun> {
  if (mode === 'off') return { mode, burst: await measureBurst('pack-net', setup), samples: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-sampler-'));
  const { sampler, writer } = newSampler(setup, metricsUrl, INTERVAL_MS[mode], dir);
  try {
    sampler.start();
    const onProgress =
      mode === 'work'
        ? workSampler(
            () => sampler.sampleSoon(),
            () => performance.now(),
          )
        : undefined;
    const burst = await measureBurst('pack-net', { ...setup, ...(onProgress && { onProgress }) });
    await sampler.stop();
    return { mode, burst, samples: sampler.count };
  } finally {
    await sampler.stop();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SampleCost {
  samples: number;
  /** CPU per sample in the pack and in the target (serving /metrics), in ms. */
  packCpuMs: number;
  targetCpuMs: number;
  wallMs: number;
}

/**
 * What one sample costs, measured without load: the direct figure behind the throughput
 * comparison, and steadier than it on a shared machine.
 */
export async function measureSampleCost(setup: BurstSetup, metricsUrl: URL, samples: number): Promise<SampleCost> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-sampler-'));
  const { sampler, writer } = newSampler(setup, metricsUrl, 1000, dir);
  try {
    for (let i = 0; i < 10; i++) await sampler.sampleOnce();
    const cpu0 = ownCpuS();
    const target0 = processCpuS(setup.targetPid);
    const t0 = performance.now();
    for (let i = 0; i < samples; i++) await sampler.sampleOnce();
    return {
      samples,
      wallMs: (performance.now() - t0) / samples,
      packCpuMs: ((ownCpuS() - cpu0) * 1000) / samples,
      targetCpuMs: ((processCpuS(setup.targetPid) - target0) * 1000) / samples,
    };
  } finally {
    await sampler.stop();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
