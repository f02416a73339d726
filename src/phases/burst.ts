/**
 * burst: a count of requests over kept-alive connections, as fast as the target answers. Memory
 * under load: the analysis fits it against completed requests (bytes per 1,000 requests).
 */
import type { BurstPhaseSpec } from '../load/phases.ts';
import { connectionsExceedRequests } from '../options/rules.ts';
import { gracefulStopMs, k6Duration, PHASE_KIND_TAG } from './k6.ts';
import { registerPhaseKind } from './registry.ts';

const whole = (n: number) => Number.isInteger(n) && n > 0;

export const burstKind = registerPhaseKind<BurstPhaseSpec>({
  kind: 'burst',
  description:
    '--requests over --connections keep-alive connections, as fast as the target answers (memory under load)',
  drivesLoad: true,
  window: 'burst',
  recordsProbes: false,
  snapshotAfter: true,
  problem(p) {
    if (!whole(p.requests) || !whole(p.connections) || !(p.timeoutMs > 0))
      return 'burst needs whole requests and connections greater than 0, and timeoutMs';
    return connectionsExceedRequests(p.connections, p.requests);
  },
  describe: (p, what) => `${what} x ${p.requests.toLocaleString('en-US')} over ${p.connections} keep-alive connections`,
  plannedRequests: (p) => p.requests,
  // How long a burst takes depends on the target.
  plannedMs: () => undefined,
  k6: {
    scenario: (p, startMs, maxDurationMs) => ({
      executor: 'shared-iterations',
      vus: p.connections,
      iterations: p.requests,
      maxDuration: k6Duration(maxDurationMs),
      startTime: k6Duration(startMs),
      gracefulStop: k6Duration(gracefulStopMs(p.timeoutMs)),
      exec: 'burst',
      tags: { [PHASE_KIND_TAG]: 'burst' },
    }),
    windowMs: (p, maxDurationMs) => maxDurationMs + gracefulStopMs(p.timeoutMs),
    newConnectionPerRequest: false,
  },
});
