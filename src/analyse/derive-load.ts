import type { LatencySummary, LoadSecond, PhaseLoadSummary, PhaseRecord, Probe } from '../rundir/schema.ts';
import { percentile, round, sum } from './stats.ts';

/**
 * Rebuilds a phase's load summary from the per-second and per-probe records, for a phase that
 * never wrote its `result` (the run was killed, or the target died mid-phase). Probes give
 * exact figures; per-second buckets cannot give latency percentiles over the phase, so those
 * are left out rather than guessed.
 */
export function derivePhaseLoad(
  phase: PhaseRecord,
  seconds: readonly LoadSecond[],
  probes: readonly Probe[],
): PhaseLoadSummary {
  return probes.length > 0 ? fromProbes(phase, probes) : fromSeconds(phase, seconds);
}

/** Param names the load stage may use for "how many requests were asked for". */
const REQUESTED_PARAMS = ['requests', 'amount', 'iterations', 'count', 'probes'] as const;

function requestedFrom(phase: PhaseRecord, fallback: number): number {
  const num = (name: string): number | undefined => {
    const v = phase.params[name];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  for (const name of REQUESTED_PARAMS) {
    const v = num(name);
    if (v !== undefined) return v;
  }
  // Idle phases are asked for as a rate over a duration.
  const rate = num('rate');
  const durationMs = num('durationMs');
  if (rate !== undefined && durationMs !== undefined) return Math.floor((rate * durationMs) / 1000);
  return fallback;
}

function span(phase: PhaseRecord, firstT: number, lastT: number): number {
  const start = phase.startT ?? firstT;
  const end = phase.endT ?? lastT;
  return round(Math.max(0, end - start));
}

function fromSeconds(phase: PhaseRecord, seconds: readonly LoadSecond[]): PhaseLoadSummary {
  const completed = sum(seconds.map((s) => s.completed));
  const errors = sum(seconds.map((s) => s.errors));
  const timeouts = sum(seconds.map((s) => s.timeouts));
  const non2xx = sum(seconds.map((s) => s.non2xx));
  // Each bucket's t is the end of its second, so the first one started a second earlier.
  const durationS = seconds.length === 0 ? 0 : span(phase, seconds[0]!.t - 1, seconds.at(-1)!.t);
  // Requests still in flight when the phase stopped are not in any bucket: this is a floor.
  const sent = completed + errors;
  return {
    phase: phase.name,
    kind: phase.kind,
    requested: requestedFrom(phase, sent),
    sent,
    completed,
    errors,
    timeouts,
    non2xx,
    statusCodes: {},
    durationS,
    rate: durationS > 0 ? round(completed / durationS) : 0,
  };
}

const TIMEOUT = /timeout|timed out|ETIMEDOUT/i;

function fromProbes(phase: PhaseRecord, probes: readonly Probe[]): PhaseLoadSummary {
  const answered = probes.filter((p) => p.status !== undefined);
  const failed = probes.filter((p) => p.error !== undefined && p.status === undefined);
  const statusCodes: Record<string, number> = {};
  for (const p of answered) statusCodes[String(p.status)] = (statusCodes[String(p.status)] ?? 0) + 1;
  const lastEnd = probes.reduce((m, p) => Math.max(m, p.sentT + (p.latencyMs ?? 0) / 1000), -Infinity);
  const durationS = span(phase, probes[0]!.scheduledT, lastEnd);
  const latencies = answered.flatMap((p) => (p.latencyMs === undefined ? [] : [p.latencyMs])).sort((a, b) => a - b);
  const lateness = probes.map((p) => Math.abs(p.sentT - p.scheduledT) * 1000).sort((a, b) => a - b);
  const result: PhaseLoadSummary = {
    phase: phase.name,
    kind: phase.kind,
    requested: requestedFrom(phase, probes.length),
    sent: probes.length,
    completed: answered.length,
    errors: failed.length,
    timeouts: failed.filter((p) => TIMEOUT.test(p.error ?? '')).length,
    non2xx: answered.filter((p) => p.status! < 200 || p.status! >= 300).length,
    statusCodes: sortKeys(statusCodes),
    durationS,
    rate: durationS > 0 ? round(answered.length / durationS) : 0,
    pacing: {
      p50: round(percentile(lateness, 50)!),
      p99: round(percentile(lateness, 99)!),
      max: round(lateness.at(-1)!),
    },
  };
  const latency = latencySummary(latencies);
  if (latency) result.latency = latency;
  return result;
}

function latencySummary(sorted: readonly number[]): LatencySummary | undefined {
  if (sorted.length === 0) return undefined;
  const at = (p: number): number => round(percentile(sorted, p)!);
  return {
    mean: round(sum(sorted) / sorted.length),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: round(sorted.at(-1)!),
    min: round(sorted[0]!),
  };
}

/** Keys in a fixed order so summary.json is byte-identical between renders. */
function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
