import type { ProgressLine } from '../console/progress.ts';
import type { RunClock } from '../load/clock.ts';
import type { SteadyPhaseSpec } from '../load/phases.ts';
import { runSteady } from '../load/steady.ts';
import type { LoadSecond, PhaseLoadSummary } from '../rundir/schema.ts';

export interface SteadyRunIo {
  clock: RunClock;
  signal: AbortSignal;
  onSecond(s: LoadSecond): void;
  onWarning(message: string): void;
  progress: ProgressLine;
  rss(): { rssBytes?: number };
}

/** A steady phase inside a run: the engine, with the progress line fed by elapsed seconds. */
export async function runSteadyPhase(phase: SteadyPhaseSpec, url: URL, io: SteadyRunIo): Promise<PhaseLoadSummary> {
  const startT = io.clock.now();
  const total = phase.durationMs / 1000;
  const timer = setInterval(
    () =>
      io.progress.update({
        phase: phase.name,
        value: Math.min(Math.round(io.clock.now() - startT), total),
        total,
        unit: 's',
        ...io.rss(),
      }),
    1000,
  );
  try {
    return await runSteady(
      { ...phase, url },
      { clock: io.clock, signal: io.signal, onSecond: io.onSecond, onWarning: io.onWarning },
    );
  } finally {
    clearInterval(timer);
  }
}

export function describeSteady(p: SteadyPhaseSpec, what: string): string {
  const rate = p.stages
    ? `${p.rate}/s then stages ${p.stages.map((s) => `${s.durationMs / 1000}s→${s.rate}/s`).join(', ')}`
    : `${p.rate}/s for ${p.durationMs / 1000}s`;
  return `${what} at ${rate}, open model over at most ${p.connections} keep-alive connections, latency from the scheduled time, ${p.timeoutMs} ms timeout`;
}
