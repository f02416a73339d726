/**
 * The limits and cross-checks of the load and sampling parameters, written once for every way
 * they arrive: the CLI's flags (run-options.ts, sample-options.ts), the k6 scripts' __ENV
 * (scenarios/k6/lib/env.ts) and the phases of a user's scenario file (src/run/load-scenario.ts).
 * No Node imports: esbuild bundles this file into the k6 scripts.
 */

export interface Range {
  min: number;
  max: number;
}

const WEEK_MS = 7 * 24 * 3600_000;

/** Allowed values per parameter; durations in ms. A value one engine refuses, the other refuses too. */
export const LIMITS = Object.freeze({
  /**
   * Below 100 ms a sample's own cost (about 1 ms of the pack's CPU and 0.5 ms of the
   * target's, see docs/engines.md "Performance") starts to be part of what it measures.
   */
  sampleIntervalMs: { min: 100, max: 60_000 },
  durationMs: { min: 1000, max: WEEK_MS },
  /**
   * Probes per second, more than 0; also the steady phase's requests per second (--rate and
   * --stages): the steady runner held 1000/s on 2 shared cores and fell behind at 2000/s
   * (docs/scenarios.md "A steady soak at a fixed rate").
   */
  rate: { min: 0, max: 1000 },
  probeTimeoutMs: { min: 10, max: 60_000 },
  requests: { min: 1, max: 1e9 },
  connections: { min: 1, max: 10_000 },
  /** --burst-threads: past a few threads they only split the connections finer, each a V8 isolate. */
  burstThreads: { min: 1, max: 8 },
  requestTimeoutMs: { min: 1000, max: 600_000 },
  idleBeforeMs: { min: 0, max: WEEK_MS },
  idleAfterMs: { min: 0, max: WEEK_MS },
  /** soak: bursts, each followed by a rest of --idle-after; one cannot tell a filled cache from a leak. */
  bursts: { min: 1, max: 20 },
} satisfies Record<string, Range>);

/**
 * Each connection of a burst needs at least one request of its own. Returns what is wrong in
 * words, or undefined; the caller names the flag, variable or phase.
 */
export function connectionsExceedRequests(connections: number, requests: number): string | undefined {
  return connections > requests ? `${connections} connections cannot share ${requests} requests` : undefined;
}
