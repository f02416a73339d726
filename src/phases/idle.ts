/**
 * idle: kubelet-style probes at a fixed rate for a duration, a new TCP connection each. Memory
 * at rest: the analysis fits it against time.
 */
import type { IdlePhaseSpec } from '../load/phases.ts';
import { probeCount } from '../load/probe-schedule.ts';
import { arrivalRate, gracefulStopMs, k6Duration, PHASE_KIND_TAG } from './k6.ts';
import { registerPhaseKind } from './registry.ts';

export const idleKind = registerPhaseKind<IdlePhaseSpec>({
  kind: 'idle',
  description: 'probes at --rate per second for --duration, a new connection each (memory at rest)',
  drivesLoad: true,
  window: 'idle',
  recordsProbes: true,
  snapshotAfter: true,
  isEmpty: (p) => p.durationMs === 0,
  problem: (p) =>
    p.rate > 0 && p.durationMs > 0 && p.timeoutMs > 0
      ? undefined
      : 'idle needs rate, durationMs and timeoutMs greater than 0',
  describe: (p, what) =>
    `${what} at ${p.rate}/s for ${p.durationMs / 1000}s, a new connection per probe, ${p.timeoutMs} ms timeout`,
  plannedRequests: (p) => probeCount(p.rate, p.durationMs),
  plannedMs: (p) => p.durationMs,
  k6: {
    scenario(p, startMs) {
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
        exec: 'idle',
        tags: { [PHASE_KIND_TAG]: 'idle' },
      };
    },
    windowMs: (p) => p.durationMs + gracefulStopMs(p.timeoutMs),
    newConnectionPerRequest: true,
  },
});
