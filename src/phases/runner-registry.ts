/**
 * The Node side of the phase-kind registry: how each kind runs inside a run. Kept apart from
 * registry.ts so the pure declarations stay importable by the k6 bundle.
 */
import type { ProgressLine } from '../console/progress.ts';
import type { BurstEngineName } from '../load/burst-engines.ts';
import type { RunClock } from '../load/clock.ts';
import type { PhaseSpec } from '../load/phases.ts';
import type { SeriesAppender } from '../rundir/recorder.ts';
import type { LoadSecond, PhaseLoadSummary, Probe } from '../rundir/schema.ts';

export interface PhaseRunContext {
  /** Where the phase sends its requests; undefined when the run has no URL (a watched process). */
  baseUrl: URL | undefined;
  clock: RunClock;
  /** Aborted when the run ends early (or, in a watched run, when the user's signal ends it). */
  signal: AbortSignal;
  engine: BurstEngineName;
  /** --burst-threads; absent, the engine chooses. */
  burstThreads?: number;
  load: SeriesAppender<LoadSecond>;
  probes: SeriesAppender<Probe> | undefined;
  progress: ProgressLine;
  /** The latest RSS and how many samples so far, shown on the progress line. */
  rss: () => { rssBytes?: number };
  samples: () => number;
  /** What a watched run has found so far, for the end of the progress line. */
  note?: () => string | undefined;
  /** A burst's progress, for samples at each 1% of its requests (src/run/work-samples.ts); absent, the clock alone samples. */
  onWork?: (done: number, total: number) => void;
  warn: (message: string) => void;
}

/** Runs one phase; resolves with its load result, or undefined for a phase that sends nothing. */
export type PhaseRunner<S extends PhaseSpec = PhaseSpec> = (
  phase: S,
  ctx: PhaseRunContext,
) => Promise<PhaseLoadSummary | undefined>;

const runners = new Map<string, PhaseRunner>();

export function registerPhaseRunner<K extends PhaseSpec['kind']>(
  kind: K,
  run: PhaseRunner<Extract<PhaseSpec, { kind: K }>>,
): void {
  if (runners.has(kind)) throw new Error(`phase runner ${JSON.stringify(kind)} is registered twice`);
  runners.set(kind, run as unknown as PhaseRunner);
}

export function phaseRunnerOf(p: PhaseSpec): PhaseRunner {
  const run = runners.get(p.kind);
  if (!run) throw new Error(`phase kind ${JSON.stringify(p.kind)} has no runner`);
  return run;
}

/** The URL a driven phase sends to: its path on the target's base URL. */
export function phaseUrl(p: { name: string; path: string }, ctx: PhaseRunContext): URL {
  if (!ctx.baseUrl) throw new Error(`phase ${p.name} sends requests, but the run has no target URL`);
  return new URL(p.path, ctx.baseUrl);
}

/**
 * The progress line of a phase that lasts a time, redrawn each second: elapsed of `totalS`
 * seconds, or elapsed alone when the end is not known. Returns the function that stops it.
 */
export function secondsProgress(name: string, totalS: number | undefined, ctx: PhaseRunContext): () => void {
  const startedAt = ctx.clock.now();
  const timer = setInterval(() => {
    const elapsed = Math.round(ctx.clock.now() - startedAt);
    const note = ctx.note?.();
    ctx.progress.update({
      phase: name,
      value: totalS === undefined ? elapsed : Math.min(elapsed, totalS),
      ...(totalS !== undefined && { total: totalS }),
      unit: 's',
      samples: ctx.samples(),
      ...ctx.rss(),
      ...(note !== undefined && { note }),
    });
  }, 1000);
  return () => clearInterval(timer);
}
