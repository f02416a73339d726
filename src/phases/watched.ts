/**
 * watched: a stretch of a run the pack did not drive (`npm run sample`: the user's own load
 * tool, real traffic, probes). No request goes out, so none is counted: the analysis reads it
 * as it reads memory at rest, against time. Until phases are found in the run, one watched
 * phase spans it.
 */
import { registerPhaseKind } from './registry.ts';

export interface WatchedPhaseSpec {
  name: string;
  kind: 'watched';
  /** How long to watch; absent: until the user's signal (--until-signal). */
  durationMs?: number;
}

declare module '../load/phases.ts' {
  interface PhaseSpecs {
    watched: WatchedPhaseSpec;
  }
}

export function watchedPhase(name: string, durationMs: number | undefined): WatchedPhaseSpec {
  return { name, kind: 'watched', ...(durationMs !== undefined && { durationMs }) };
}

export const watchedKind = registerPhaseKind<WatchedPhaseSpec>({
  kind: 'watched',
  description: 'the pack sends nothing: another tool or real traffic drives the target while it is sampled',
  drivesLoad: false,
  window: 'idle',
  recordsProbes: false,
  // It spans the run: the `end` snapshot follows at once.
  snapshotAfter: false,
  problem: (p) =>
    p.durationMs === undefined || p.durationMs > 0 ? undefined : 'watched needs durationMs greater than 0, or none',
  describe: (p) =>
    `watching, no load from the pack, ${p.durationMs === undefined ? 'until a signal (Ctrl-C or SIGTERM)' : `for ${p.durationMs / 1000}s`}`,
  plannedMs: (p) => p.durationMs,
  plannedRequests: () => undefined,
});
