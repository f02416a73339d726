import { burstPhase, defineScenario, idlePhase, type PhaseSpec, type ScenarioParams } from '../src/load/phases.ts';

/**
 * The report's timeline in one run: probes as in production, the 1M-request load test, then
 * probes again to see whether memory comes back down (plain build) or stays up (race build).
 * With --bursts N (2 from the CLI), the same burst runs N times, each followed by a rest as long
 * as --idle-after: a leak retains about the same again after each, a filled cache nothing more
 * (docs/retained.md). One burst keeps the phase names of runs before --bursts.
 */
export default defineScenario({
  name: 'soak',
  description:
    'idle probes for --idle-before, then --bursts times: the burst (--requests over --connections) and idle probes for --idle-after',
  phases: (p) => [idlePhase('idle-before', p, p.idleBeforeMs), ...repeatedBursts(p)],
});

function repeatedBursts(p: ScenarioParams): PhaseSpec[] {
  const n = p.bursts ?? 1;
  if (n <= 1) return [burstPhase('burst', p), idlePhase('idle-after', p, p.idleAfterMs)];
  return Array.from({ length: n }, (_, i) => [
    burstPhase(`burst-${i + 1}`, p),
    idlePhase(i === n - 1 ? 'idle-after' : `rest-${i + 1}`, p, p.idleAfterMs),
  ]).flat();
}
