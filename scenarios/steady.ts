import { defineScenario, steadyPhase } from '../src/load/phases.ts';

/**
 * A soak at a production-like rate: requests at a fixed arrival rate over kept-alive
 * connections, the usual way to find a slow per-request leak. Open model: requests go out on
 * schedule whether or not earlier ones were answered, latency counted from the schedule.
 */
export default defineScenario({
  name: 'steady',
  description:
    'requests at --rate per second (default 100) for --duration (or through --stages), over at most --connections kept-alive connections, latency from the scheduled send time',
  phases: (p) => [steadyPhase('steady', p)],
});
