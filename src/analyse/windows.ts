import { findPhaseKind } from '../phases/kinds.ts';
import type { RunData } from '../rundir/read-run.ts';
import type { LoadSecond, PhaseRecord, Probe, RunEvent } from '../rundir/schema.ts';

/**
 * The stretches of a run that the diagnosis fits separately, and the x axes it fits against:
 * time for memory at rest, completed requests for memory under load. Pure.
 */

export interface Window {
  /** The phase's name, or "run" for a run without phase times. */
  name: string;
  kind: 'idle' | 'burst';
  startT: number;
  endT: number;
  /**
   * Completed requests of this phase up to time t (seconds since run start), or undefined
   * when the run recorded no per-request progress for it.
   */
  requestsAt?: (t: number) => number;
  /** Where requestsAt comes from, for the report's caveats. */
  requestsFrom?: 'load.ndjson' | 'probes.ndjson' | 'phase result (assumed uniform)';
  /** Completed requests in the phase, when known. */
  requests?: number;
}

/**
 * One window per phase that has a start time, ending at its end time, or at the next phase's
 * start or the last sample when it never ended. A run without phase times (it failed before
 * its load, or an old run.json) is one idle-like window over every sample.
 */
export function analysisWindows(data: RunData): Window[] {
  const phases = data.run.phases.filter((p): p is PhaseRecord & { startT: number } => typeof p.startT === 'number');
  const lastSampleT = data.samples.at(-1)?.t ?? 0;
  if (phases.length === 0) {
    const first = data.samples[0]?.t ?? 0;
    return [{ name: 'run', kind: 'idle', startT: first, endT: lastSampleT }];
  }
  return phases.map((p, i) => {
    const next = phases[i + 1]?.startT;
    const endT = p.endT ?? next ?? Math.max(lastSampleT, p.startT);
    // Each kind says how it is read (src/phases/<kind>.ts): against time, or against completed requests.
    return {
      name: p.name,
      kind: findPhaseKind(p.kind)?.window ?? 'idle',
      startT: p.startT,
      endT,
      ...requestCounter(data, p, endT),
    };
  });
}

/** Times of target exits: a sample after one belongs to the next process. */
export function exitTimes(events: readonly RunEvent[]): number[] {
  return events.filter((e) => e.type === 'target-exit').map((e) => e.t);
}

/** Segment (process incarnation) of a sample taken at `t`: how many exits came before it. */
export function segmentAt(t: number, exits: readonly number[]): number {
  let n = 0;
  for (const e of exits) if (e < t) n++;
  return n;
}

export interface FigurePoint {
  t: number;
  y: number;
}

type Counter = Pick<Window, 'requestsAt' | 'requestsFrom' | 'requests'>;

/**
 * Completed requests of a phase as a function of time. The per-second buckets of load.ndjson
 * are the best source (each bucket's `t` is the end of its second, so its completions are
 * spread over the second before); an idle phase's probes are next; a phase result alone only
 * allows assuming an even rate over the phase.
 */
function requestCounter(data: RunData, phase: PhaseRecord & { startT: number }, endT: number): Counter {
  const buckets = data.load.filter((l) => l.phase === phase.name);
  if (buckets.length > 0) return fromBuckets(buckets);
  const probes = data.probes.filter((p) => p.phase === phase.name);
  if (probes.length > 0) return fromProbes(probes);
  const completed = phase.result?.completed;
  if (completed !== undefined && endT > phase.startT) {
    const span = endT - phase.startT;
    return {
      requestsAt: (t) => completed * Math.min(1, Math.max(0, (t - phase.startT) / span)),
      requestsFrom: 'phase result (assumed uniform)',
      requests: completed,
    };
  }
  return {};
}

function fromBuckets(buckets: readonly LoadSecond[]): Counter {
  // Knots of a piecewise-linear cumulative count: flat between buckets, linear within one.
  const knots: { t: number; n: number }[] = [];
  let total = 0;
  let prevEnd = -Infinity;
  for (const b of buckets) {
    const start = Math.max(b.t - 1, prevEnd);
    knots.push({ t: start, n: total });
    total += b.completed;
    knots.push({ t: Math.max(b.t, start), n: total });
    prevEnd = b.t;
  }
  return { requestsAt: (t) => interpolate(knots, t), requestsFrom: 'load.ndjson', requests: total };
}

function fromProbes(probes: readonly Probe[]): Counter {
  const done = probes
    .filter((p) => p.status !== undefined)
    .map((p) => p.sentT + (p.latencyMs ?? 0) / 1000)
    .sort((a, b) => a - b);
  return { requestsAt: (t) => countAtOrBefore(done, t), requestsFrom: 'probes.ndjson', requests: done.length };
}

function interpolate(knots: readonly { t: number; n: number }[], t: number): number {
  if (knots.length === 0 || t <= knots[0]!.t) return 0;
  const last = knots.at(-1)!;
  if (t >= last.t) return last.n;
  let lo = 0;
  let hi = knots.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (knots[mid]!.t <= t) lo = mid;
    else hi = mid;
  }
  const a = knots[lo]!;
  const b = knots[hi]!;
  return b.t > a.t ? a.n + ((b.n - a.n) * (t - a.t)) / (b.t - a.t) : b.n;
}

function countAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
