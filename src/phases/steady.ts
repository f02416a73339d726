/**
 * steady: requests at a fixed arrival rate (or through ramp stages) over at most `connections`
 * kept-alive connections, open model. Fitted like idle, against time: at a fixed rate, bytes per
 * hour is its growth.
 */
import type { SteadyPhaseSpec } from '../load/phases.ts';
import { makeSchedule, steadyProblem } from '../load/steady-schedule.ts';
import { arrivalRate, commonTimeUnit, gracefulStopMs, k6Duration, PHASE_KIND_TAG, type K6Scenario } from './k6.ts';
import { registerPhaseKind } from './registry.ts';

export const steadyKind = registerPhaseKind<SteadyPhaseSpec>({
  kind: 'steady',
  description: 'requests at --rate per second for --duration (or --stages), open model over kept-alive connections',
  drivesLoad: true,
  window: 'idle',
  recordsProbes: false,
  snapshotAfter: true,
  problem: steadyProblem,
  describe(p, what) {
    const rate = p.stages
      ? `${p.rate}/s then stages ${p.stages.map((s) => `${s.durationMs / 1000}s→${s.rate}/s`).join(', ')}`
      : `${p.rate}/s for ${p.durationMs / 1000}s`;
    return `${what} at ${rate}, open model over at most ${p.connections} keep-alive connections, latency from the scheduled time, ${p.timeoutMs} ms timeout`;
  },
  plannedRequests: (p) => makeSchedule(p.rate, p.durationMs, p.stages).count,
  // The live view has planned only runs made of idle phases so far.
  plannedMs: () => undefined,
  k6: {
    scenario: steadyScenario,
    windowMs: (p) => p.durationMs + gracefulStopMs(p.timeoutMs),
    newConnectionPerRequest: false,
  },
});

/**
 * Open model as the built-in runner's. VUs stand for connections: each k6 VU keeps its own
 * kept-alive connection, so maxVUs = the phase's connection cap, and an iteration k6 cannot
 * start because every VU is busy is a dropped iteration (the runner's "not sent").
 */
function steadyScenario(p: SteadyPhaseSpec, startMs: number): K6Scenario {
  // Start with a few VUs; k6 adds more up to maxVUs as answers slow down.
  const common = {
    preAllocatedVUs: Math.min(
      p.connections,
      Math.max(1, Math.ceil(Math.max(p.rate, ...(p.stages ?? []).map((s) => s.rate)) / 10)),
    ),
    maxVUs: p.connections,
    startTime: k6Duration(startMs),
    gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
    exec: 'steady',
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
