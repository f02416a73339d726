/**
 * PhaseSpec[] → k6 `options`: the one place where the pack's phases become k6 scenarios, so
 * the built-in runner and the k6 scripts run the same traffic. Pure (no k6, no Node): the k6
 * bundle calls it at init, and Node unit tests check its output.
 *
 * The types below are the subset of @types/k6's `Options` that this module writes; the entry
 * scripts assign the result to `Options`, so the k6 type-check proves they fit.
 */
import type { BurstPhaseSpec, IdlePhaseSpec, PhaseSpec, SteadyPhaseSpec } from '../../../src/load/phases.ts';
import { BURST_START_GRACE_MS } from './after-burst.ts';

/**
 * Name of the exported function that runs one iteration of each kind of phase; `afterBurst` runs
 * a whole idle phase that follows a burst in one iteration (see afterBurstScenario).
 */
export const EXEC = { idle: 'idle', burst: 'burst', steady: 'steady', afterBurst: 'idleAfterBurst' } as const;

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

export interface K6Options {
  scenarios: Record<string, K6Scenario>;
  /** Global in k6 (not per scenario): true only when every phase is an idle probe phase. */
  noConnectionReuse: boolean;
  discardResponseBodies: boolean;
  thresholds: Record<string, string[]>;
  summaryTrendStats: string[];
}

export interface ToK6OptionsConfig {
  /** shared-iterations maxDuration of burst phases. */
  maxDurationMs: number;
}

/** Fails the k6 run (exit code 99) when more than 1% of requests fail or status checks fail. */
export const THRESHOLDS: Readonly<Record<string, string[]>> = {
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
};

/** Phases the pack would leave out (an idle phase of zero length, e.g. LEAKBENCH_IDLE_BEFORE=0s), as buildPhases does. */
export function runnablePhases(phases: readonly PhaseSpec[]): PhaseSpec[] {
  return phases.filter((p) => !(p.kind === 'idle' && p.durationMs === 0));
}

/**
 * One k6 scenario per phase, named after the phase (k6 tags every sample with `scenario`), and
 * chained with `startTime`: k6 has no "after the previous one ends", so a phase normally starts
 * when the previous one's window (duration or maxDuration, plus gracefulStop) is over. An idle
 * phase right after a burst would then wait for the burst's whole maxDuration (an hour by
 * default), so it starts with the burst instead, on one VU that waits until the burst's VUs are
 * done and then paces its probes itself (script.ts idleAfterBurst).
 */
export function toK6Options(phases: readonly PhaseSpec[], config: ToK6OptionsConfig): K6Options {
  const runnable = runnablePhases(phases);
  if (runnable.length === 0) throw new Error('the scenario has no phase to run');
  const scenarios: Record<string, K6Scenario> = {};
  let offsetMs = 0;
  let previous: { phase: PhaseSpec; startMs: number } | undefined;
  for (const phase of runnable) {
    if (scenarios[phase.name]) throw new Error(`phase name ${JSON.stringify(phase.name)} is used twice`);
    if (phase.kind === 'idle' && previous?.phase.kind === 'burst') {
      const burst = previous.phase;
      scenarios[phase.name] = afterBurstScenario(phase, burst, previous.startMs, config.maxDurationMs);
      previous = { phase, startMs: previous.startMs };
      offsetMs =
        previous.startMs + afterBurstMaxMs(phase, burst, config.maxDurationMs) + gracefulStopMs(phase.timeoutMs);
      continue;
    }
    const s =
      phase.kind === 'idle'
        ? idleScenario(phase, offsetMs)
        : phase.kind === 'steady'
          ? steadyScenario(phase, offsetMs)
          : burstScenario(phase, offsetMs, config.maxDurationMs);
    scenarios[phase.name] = s;
    previous = { phase, startMs: offsetMs };
    offsetMs += windowMs(phase, config.maxDurationMs);
  }
  return {
    scenarios,
    // Kubelet opens a new connection per probe. k6 has the switch only for the whole test, so a
    // scenario that also has a keep-alive burst (soak) closes probe connections per request
    // instead (`Connection: close`, see script.ts).
    noConnectionReuse: runnable.every((p) => p.kind === 'idle'),
    // Only the status is checked; not keeping 1M bodies saves the runner's memory.
    discardResponseBodies: true,
    thresholds: { ...THRESHOLDS },
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'],
  };
}

/**
 * How long the probe loop after a burst may need at most: the burst's own window (maxDuration
 * and gracefulStop, after which k6 has stopped it), the wait for a burst that has not shown up
 * yet, the probes, and the last probe's timeout.
 */
function afterBurstMaxMs(idle: IdlePhaseSpec, burst: BurstPhaseSpec, maxDurationMs: number): number {
  return windowMs(burst, maxDurationMs) + BURST_START_GRACE_MS + idle.durationMs + idle.timeoutMs + 1000;
}

function afterBurstScenario(
  idle: IdlePhaseSpec,
  burst: BurstPhaseSpec,
  startMs: number,
  maxDurationMs: number,
): K6PerVuIterationsScenario {
  return {
    executor: 'per-vu-iterations',
    vus: 1,
    iterations: 1,
    maxDuration: k6Duration(afterBurstMaxMs(idle, burst, maxDurationMs)),
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(idle.timeoutMs)),
    exec: EXEC.afterBurst,
    tags: { [PHASE_KIND_TAG]: 'idle' },
  };
}

function idleScenario(p: IdlePhaseSpec, startMs: number): K6ArrivalRateScenario {
  const { rate, timeUnit } = arrivalRate(p.rate);
  // A probe holds its VU for at most its timeout, so rate × timeout VUs (plus one) never run out.
  const preAllocatedVUs = Math.ceil(p.rate * (p.timeoutMs / 1000)) + 1;
  return {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit,
    duration: k6Duration(p.durationMs),
    preAllocatedVUs,
    maxVUs: preAllocatedVUs * 2,
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
    exec: EXEC.idle,
    tags: { [PHASE_KIND_TAG]: 'idle' },
  };
}

function burstScenario(p: BurstPhaseSpec, startMs: number, maxDurationMs: number): K6SharedIterationsScenario {
  return {
    executor: 'shared-iterations',
    vus: p.connections,
    iterations: p.requests,
    maxDuration: k6Duration(maxDurationMs),
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
    exec: EXEC.burst,
    tags: { [PHASE_KIND_TAG]: 'burst' },
  };
}

/**
 * A steady phase, open model as the built-in runner's. VUs stand for connections: each k6 VU
 * keeps its own kept-alive connection, so maxVUs = the phase's connection cap, and an iteration
 * k6 cannot start because every VU is busy is a dropped iteration (the runner's "not sent").
 */
function steadyScenario(p: SteadyPhaseSpec, startMs: number): K6ArrivalRateScenario | K6RampingArrivalRateScenario {
  // Start with a few VUs; k6 adds more up to maxVUs as answers slow down.
  const common = {
    preAllocatedVUs: Math.min(
      p.connections,
      Math.max(1, Math.ceil(Math.max(p.rate, ...(p.stages ?? []).map((s) => s.rate)) / 10)),
    ),
    maxVUs: p.connections,
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
    exec: EXEC.steady,
    tags: { [PHASE_KIND_TAG]: 'steady' },
  };
  if (!p.stages || p.stages.length === 0) {
    return { executor: 'constant-arrival-rate', ...arrivalRate(p.rate), duration: k6Duration(p.durationMs), ...common };
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

/** Long enough for a request sent just before the end to finish or time out. */
function gracefulStopMs(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) * 1000 + 1000;
}

/** How long a phase may occupy, so the next one starts after it whatever happens. */
function windowMs(p: PhaseSpec, maxDurationMs: number): number {
  return (p.kind === 'burst' ? maxDurationMs : p.durationMs) + gracefulStopMs(p.timeoutMs);
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
