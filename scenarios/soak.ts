import { burstPhase, defineScenario, idlePhase } from '../src/load/phases.ts';

/**
 * The report's timeline in one run: probes as in production, the 1M-request load test, then
 * probes again to see whether memory comes back down (plain build) or stays up (race build).
 */
export default defineScenario({
  name: 'soak',
  description:
    'idle probes for --idle-before, the burst (--requests over --connections), then idle probes for --idle-after',
  phases: (p) => [
    idlePhase('idle-before', p, p.idleBeforeMs),
    burstPhase('burst', p),
    idlePhase('idle-after', p, p.idleAfterMs),
  ],
});
