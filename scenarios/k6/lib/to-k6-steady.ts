/**
 * A steady phase as a k6 scenario: constant-arrival-rate, or ramping-arrival-rate with stages,
 * open model as the built-in runner's. VUs stand for connections: each k6 VU keeps its own
 * kept-alive connection, so maxVUs = the phase's connection cap, and an iteration k6 cannot
 * start because every VU is busy is a dropped iteration (the built-in runner's "not sent").
 * Pure: no k6, no Node.
 */
import type { SteadyPhaseSpec } from '../../../src/load/phases.ts';
import { gracefulStopMs, k6Duration, PHASE_KIND_TAG, type K6ArrivalRateScenario } from './to-k6-options.ts';

/** The steady phase at one rate: the same executor as the idle probes use. */
export type K6SteadyArrivalRateScenario = K6ArrivalRateScenario;

export type K6RampingArrivalRateScenario = Omit<K6ArrivalRateScenario, 'executor' | 'rate' | 'duration'> & {
  executor: 'ramping-arrival-rate';
  startRate: number;
  stages: { duration: string; target: number }[];
};

/**
 * One timeUnit in which every rate is a whole number of iterations (k6 wants integers):
 * 2.5/s and 10/s become 5 and 20 per 2s.
 */
export function commonTimeUnit(rates: readonly number[]): { seconds: number; scaled: number[] } {
  for (let seconds = 1; seconds <= 1000; seconds++) {
    const scaled = rates.map((r) => r * seconds);
    if (scaled.every((n) => Math.abs(n - Math.round(n)) < 1e-9)) return { seconds, scaled: scaled.map((n) => Math.round(n)) };
  }
  return { seconds: 1000, scaled: rates.map((r) => Math.round(r * 1000)) };
}

export function steadyScenario(p: SteadyPhaseSpec, startMs: number): K6SteadyArrivalRateScenario | K6RampingArrivalRateScenario {
  // Start with a few VUs; k6 adds more up to maxVUs as answers slow down.
  const common = {
    preAllocatedVUs: Math.min(p.connections, Math.max(1, Math.ceil(Math.max(p.rate, ...(p.stages ?? []).map((s) => s.rate)) / 10))),
    maxVUs: p.connections,
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
    exec: 'steady',
    tags: { [PHASE_KIND_TAG]: 'steady' },
  };
  if (!p.stages || p.stages.length === 0) {
    const { seconds, scaled } = commonTimeUnit([p.rate]);
    return { executor: 'constant-arrival-rate', rate: scaled[0]!, timeUnit: `${seconds}s`, duration: k6Duration(p.durationMs), ...common };
  }
  const { seconds, scaled } = commonTimeUnit([p.rate, ...p.stages.map((s) => s.rate)]);
  return {
    executor: 'ramping-arrival-rate',
    startRate: scaled[0]!,
    timeUnit: `${seconds}s`,
    stages: p.stages.map((s, i) => ({ duration: k6Duration(s.durationMs), target: scaled[i + 1]! })),
    ...common,
  };
}
