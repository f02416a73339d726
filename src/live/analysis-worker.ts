import { parentPort } from 'node:worker_threads';
import type { LoadSecond, RunEvent, RunFile, Sample } from '../rundir/schema.ts';
import { liveAnalysis } from './live-analysis.ts';

/**
 * The live view's analysis, off the run's thread: a fit over a long run takes hundreds of
 * milliseconds, which on the main thread would delay probes and samples. The worker keeps its
 * own copy of the records, sent to it as deltas.
 */
export interface AnalysisRequest {
  run: RunFile;
  samples: Sample[];
  load: LoadSecond[];
  events: RunEvent[];
  now: number;
}

const samples: Sample[] = [];
const load: LoadSecond[] = [];
const events: RunEvent[] = [];

parentPort?.on('message', (req: AnalysisRequest) => {
  samples.push(...req.samples);
  load.push(...req.load);
  events.push(...req.events);
  const started = performance.now();
  try {
    const result = liveAnalysis({ run: req.run, samples, load, events, now: req.now });
    parentPort!.postMessage({ ...result, tookMs: Math.round((performance.now() - started) * 10) / 10 });
  } catch (err) {
    parentPort!.postMessage({
      t: req.now,
      samples: samples.length,
      verdict: { kind: 'not-enough-data', summary: `analysis failed: ${(err as Error).message}` },
      rates: [],
      tookMs: 0,
    });
  }
});
