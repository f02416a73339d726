/**
 * When each request of a steady phase is due. Pure, no Node: the k6 mapping reads the same
 * stages. A stage ramps the rate linearly from where the previous one ended to its own rate
 * over its duration, as k6's ramping-arrival-rate does; without stages the rate is constant.
 */
import type { RateStage } from './phases.ts';
import { LIMITS } from '../options/rules.ts';
export type { RateStage } from './phases.ts';

export interface Schedule {
  /** Requests due over the whole phase. */
  count: number;
  /** Milliseconds from the phase's start at which request k is due; k must not decrease between calls. */
  offsetMs(k: number): number;
  durationMs: number;
}

interface Segment {
  startMs: number;
  durationMs: number;
  r0: number;
  r1: number;
  /** Requests due before this segment. */
  before: number;
  /** Requests due by its end (fractional). */
  after: number;
}

const EPS = 1e-9;

export function makeSchedule(rate: number, durationMs: number, stages?: readonly RateStage[]): Schedule {
  const list = stages && stages.length > 0 ? stages : [{ durationMs, rate }];
  const segments: Segment[] = [];
  let startMs = 0;
  let before = 0;
  let r0 = rate;
  for (const s of list) {
    const after = before + ((r0 + s.rate) / 2) * (s.durationMs / 1000);
    segments.push({ startMs, durationMs: s.durationMs, r0, r1: s.rate, before, after });
    startMs += s.durationMs;
    before = after;
    r0 = s.rate;
  }
  const count = Math.max(0, Math.floor(before + EPS));
  let seg = 0;
  return {
    count,
    durationMs: startMs,
    offsetMs(k: number): number {
      while (seg < segments.length - 1 && segments[seg]!.after <= k + EPS) seg++;
      const g = segments[seg]!;
      const n = k - g.before;
      const d = g.durationMs / 1000;
      const a = (g.r1 - g.r0) / (2 * d);
      // Requests due by t seconds into the segment: r0 t + a t²; solve for n.
      let t: number;
      if (Math.abs(a) < 1e-12) t = g.r0 > 0 ? n / g.r0 : 0;
      else {
        const disc = Math.max(0, g.r0 * g.r0 + 4 * a * n);
        t = (-g.r0 + Math.sqrt(disc)) / (2 * a);
      }
      return g.startMs + Math.min(Math.max(t, 0), d) * 1000;
    },
  };
}

/** What is wrong with a steady phase written by hand, in words; undefined when it can run. */
export function steadyProblem(p: {
  rate: number;
  durationMs: number;
  stages?: readonly RateStage[] | undefined;
  connections: number;
  timeoutMs: number;
}): string | undefined {
  if (!(p.rate >= 0) || !Number.isFinite(p.rate)) return 'steady needs a rate of 0 or more requests per second';
  const max = LIMITS.rate.max;
  if (p.rate > max || p.stages?.some((s) => s.rate > max))
    return `steady: a rate must be at most ${max} requests per second (the most the steady runner was measured to hold)`;
  if (!Number.isInteger(p.connections) || p.connections <= 0)
    return 'steady needs a whole number of connections greater than 0';
  if (!(p.timeoutMs > 0)) return 'steady needs timeoutMs greater than 0';
  if (p.stages) {
    if (!Array.isArray(p.stages) || p.stages.length === 0) return 'stages: expected at least one { durationMs, rate }';
    for (const [i, s] of p.stages.entries()) {
      if (!(s.durationMs > 0) || !(s.rate >= 0) || !Number.isFinite(s.rate))
        return `stages[${i}]: expected durationMs greater than 0 and a rate of 0 or more`;
    }
  } else if (!(p.durationMs > 0) || !(p.rate > 0)) {
    return 'steady needs durationMs and rate greater than 0 (or stages)';
  }
  if (makeSchedule(p.rate, p.durationMs, p.stages).count === 0)
    return 'the rate and duration schedule no request at all';
  return undefined;
}
