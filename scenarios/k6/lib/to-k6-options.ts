/**
 * PhaseSpec[] → k6 `options`: the one place where the pack's phases become k6 scenarios, so
 * the built-in runner and the k6 scripts run the same traffic. Pure (no k6, no Node): the k6
 * bundle calls it at init, and Node unit tests check its output.
 *
 * Each phase kind's own scenario comes from its declaration (src/phases/<kind>.ts, `k6`); the
 * entry scripts assign the result to `Options`, so the k6 type-check proves they fit.
 */
import type { BurstPhaseSpec, IdlePhaseSpec, PhaseSpec } from '../../../src/load/phases.ts';
import { burstKind } from '../../../src/phases/burst.ts';
import {
  gracefulStopMs,
  k6Duration,
  PHASE_KIND_TAG,
  type K6PerVuIterationsScenario,
  type K6Scenario,
} from '../../../src/phases/k6.ts';
import { findPhaseKind, phaseKindOf } from '../../../src/phases/kinds.ts';
import { BURST_START_GRACE_MS } from './after-burst.ts';

/**
 * Name of the exported function that runs one iteration of each kind of phase; `afterBurst` runs
 * a whole idle phase that follows a burst in one iteration (see afterBurstScenario).
 */
export const EXEC = { idle: 'idle', burst: 'burst', steady: 'steady', afterBurst: 'idleAfterBurst' } as const;

export {
  arrivalRate,
  commonTimeUnit,
  k6Duration,
  PHASE_KIND_TAG,
  type K6ArrivalRateScenario,
  type K6PerVuIterationsScenario,
  type K6RampingArrivalRateScenario,
  type K6Scenario,
  type K6SharedIterationsScenario,
} from '../../../src/phases/k6.ts';

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
  return phases.filter((p) => !findPhaseKind(p.kind)?.isEmpty?.(p));
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
    const k6 = phaseKindOf(phase).k6;
    if (!k6) throw new Error(`phase ${phase.name}: a ${phase.kind} phase cannot run in k6`);
    scenarios[phase.name] = k6.scenario(phase, offsetMs, config.maxDurationMs);
    previous = { phase, startMs: offsetMs };
    offsetMs += k6.windowMs(phase, config.maxDurationMs);
  }
  return {
    scenarios,
    // Kubelet opens a new connection per probe. k6 has the switch only for the whole test, so a
    // scenario that also has a keep-alive burst (soak) closes probe connections per request
    // instead (`Connection: close`, see script.ts).
    noConnectionReuse: runnable.every((p) => phaseKindOf(p).k6?.newConnectionPerRequest === true),
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
  return burstKind.k6!.windowMs(burst, maxDurationMs) + BURST_START_GRACE_MS + idle.durationMs + idle.timeoutMs + 1000;
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
