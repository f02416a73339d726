import type { ProgressLine } from '../console/progress.ts';
import { runBurstWith } from '../load/burst-engines.ts';
import type { RunClock } from '../load/clock.ts';
import { runIdle } from '../load/idle.ts';
import type { PhaseSpec } from '../load/phases.ts';
import { describeMix } from '../options/request-def.ts';
import { describeSteady, runSteadyPhase } from './run-steady.ts';
import type { BurstEngineName } from '../load/burst-engines.ts';
import type { SeriesAppender } from '../rundir/recorder.ts';
import type { LoadSecond, PhaseLoadSummary, Probe } from '../rundir/schema.ts';

export interface PhaseSinks {
  clock: RunClock;
  signal: AbortSignal;
  engine: BurstEngineName;
  /** --burst-threads; absent, the engine chooses. */
  burstThreads?: number;
  load: SeriesAppender<LoadSecond>;
  probes: SeriesAppender<Probe> | undefined;
  progress: ProgressLine;
  /** The latest RSS, shown on the progress line. */
  rss: () => { rssBytes?: number };
  warn: (message: string) => void;
}

/** Runs one phase against `url`, its per-second load and probes going to the run directory. */
export async function runPhase(phase: PhaseSpec, url: URL, s: PhaseSinks): Promise<PhaseLoadSummary> {
  if (phase.kind === 'idle') {
    const startedAt = s.clock.now();
    const total = phase.durationMs / 1000;
    const progressTimer = setInterval(() => {
      s.progress.update({
        phase: phase.name,
        value: Math.min(Math.round(s.clock.now() - startedAt), total),
        total,
        unit: 's',
        ...s.rss(),
      });
    }, 1000);
    try {
      return await runIdle(
        {
          name: phase.name,
          url,
          rate: phase.rate,
          durationMs: phase.durationMs,
          timeoutMs: phase.timeoutMs,
          ...(phase.mix && { mix: phase.mix }),
        },
        { clock: s.clock, signal: s.signal, onProbe: (p) => s.probes?.write(p), onSecond: (l) => s.load.write(l) },
      );
    } finally {
      clearInterval(progressTimer);
    }
  }
  if (phase.kind === 'steady') {
    return runSteadyPhase(phase, url, {
      clock: s.clock,
      signal: s.signal,
      onSecond: (l) => s.load.write(l),
      onWarning: s.warn,
      progress: s.progress,
      rss: s.rss,
    });
  }
  let lastDraw = 0;
  return runBurstWith(
    s.engine,
    {
      name: phase.name,
      url,
      requests: phase.requests,
      connections: phase.connections,
      timeoutMs: phase.timeoutMs,
      ...(phase.mix && { mix: phase.mix }),
    },
    {
      clock: s.clock,
      signal: s.signal,
      onSecond: (l) => s.load.write(l),
      onWarning: s.warn,
      onProgress: (done, total) => {
        // Redrawing per response would cost more than the request; a few times a second is plenty.
        if (done !== total && (done & 1023) !== 0) return;
        const now = Date.now();
        if (done !== total && now - lastDraw < 200) return;
        lastDraw = now;
        s.progress.update({ phase: phase.name, value: done, total, unit: 'req', ...s.rss() });
      },
    },
    s.burstThreads === undefined ? {} : { threads: s.burstThreads },
  );
}

export function describePhase(p: PhaseSpec, url: URL): string {
  // Names, methods and paths only: header values (secrets among them) never reach the console.
  const what = p.mix ? `${describeMix(p.mix)} against ${url.origin}` : `GET ${url.href}`;
  if (p.kind === 'steady') return describeSteady(p, what);
  return p.kind === 'idle'
    ? `${what} at ${p.rate}/s for ${p.durationMs / 1000}s, a new connection per probe, ${p.timeoutMs} ms timeout`
    : `${what} x ${p.requests.toLocaleString('en-US')} over ${p.connections} keep-alive connections`;
}
