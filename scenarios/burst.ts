import { burstPhase, defineScenario } from '../src/load/phases.ts';

/** The report's load test: 1,000,000 requests, 100 in parallel over keep-alive connections. */
export default defineScenario({
  name: 'burst',
  description:
    '--requests (default 1,000,000) over --connections (default 100) keep-alive connections, as fast as the target answers',
  phases: (p) => [burstPhase('burst', p)],
});
