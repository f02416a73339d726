/**
 * The k6 side of a phase kind: the k6 scenario types the pack writes and the helpers a kind's
 * mapping uses. Pure (no k6, no Node): the k6 bundle runs it at init, Node unit tests check it.
 * The types are the subset of @types/k6's `Options` that the pack writes; the entry scripts
 * assign the result to `Options`, so the k6 type-check proves they fit.
 */

/** Scenario tag that tells the importer what kind of phase a sample belongs to. */
export const PHASE_KIND_TAG = 'phase_kind';

export interface K6ArrivalRateScenario {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit: string;
  duration: string;
  preAllocatedVUs: number;
  maxVUs: number;
  startTime: string;
  gracefulStop: string;
  exec: string;
  tags: Record<string, string>;
}

/** A steady phase with stages: the rate ramps linearly from startRate through each stage's target. */
export type K6RampingArrivalRateScenario = Omit<K6ArrivalRateScenario, 'executor' | 'rate' | 'duration'> & {
  executor: 'ramping-arrival-rate';
  startRate: number;
  stages: { duration: string; target: number }[];
};

export interface K6SharedIterationsScenario {
  executor: 'shared-iterations';
  vus: number;
  iterations: number;
  maxDuration: string;
  startTime: string;
  gracefulStop: string;
  exec: string;
  tags: Record<string, string>;
}

/** One VU, one iteration: the probes after a burst, paced by the script itself (see script.ts). */
export interface K6PerVuIterationsScenario {
  executor: 'per-vu-iterations';
  vus: number;
  iterations: number;
  maxDuration: string;
  startTime: string;
  gracefulStop: string;
  exec: string;
  tags: Record<string, string>;
}

export type K6Scenario =
  K6ArrivalRateScenario | K6RampingArrivalRateScenario | K6SharedIterationsScenario | K6PerVuIterationsScenario;

/** How a phase kind becomes one k6 scenario (scenarios/k6/lib/to-k6-options.ts chains them). */
export interface K6PhaseMapping<S> {
  /** The scenario, starting `startMs` after the test starts; `exec` names the script's function for the kind. */
  scenario(p: S, startMs: number, maxDurationMs: number): K6Scenario;
  /** How long the phase may occupy, so the next one starts after it whatever happens. */
  windowMs(p: S, maxDurationMs: number): number;
  /** Kubelet-style: a new connection per request (k6 has the switch only for the whole test). */
  newConnectionPerRequest: boolean;
}

/** Long enough for a request sent just before the end to finish or time out. */
export function gracefulStopMs(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) * 1000 + 1000;
}

/**
 * k6 wants a whole number of iterations per timeUnit, so 0.5/s becomes 1 per 2s and 2.5/s
 * 5 per 2s.
 */
export function arrivalRate(perSecond: number): { rate: number; timeUnit: string } {
  if (!(perSecond > 0) || !Number.isFinite(perSecond))
    throw new Error(`rate must be a number greater than 0, got ${perSecond}`);
  const { seconds, scaled } = commonTimeUnit([perSecond]);
  return { rate: Math.max(1, scaled[0]!), timeUnit: `${seconds}s` };
}

/**
 * One timeUnit in which every rate is a whole number of iterations (k6 wants integers):
 * 2.5/s and 10/s become 5 and 20 per 2s.
 */
export function commonTimeUnit(rates: readonly number[]): { seconds: number; scaled: number[] } {
  for (let seconds = 1; seconds <= 1000; seconds++) {
    const scaled = rates.map((r) => r * seconds);
    if (scaled.every((n) => Math.abs(n - Math.round(n)) < 1e-9))
      return { seconds, scaled: scaled.map((n) => Math.round(n)) };
  }
  return { seconds: 1000, scaled: rates.map((r) => Math.round(r * 1000)) };
}

/** k6 reads Go durations; whole seconds read best, anything else goes as milliseconds. */
export function k6Duration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`duration must be a number of milliseconds, got ${ms}`);
  const whole = Math.ceil(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}
