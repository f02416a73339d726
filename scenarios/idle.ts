import { defineScenario, idlePhase } from '../src/load/phases.ts';

/** The report's steady state: a kubelet probing /health_check once a second, a new connection each time. */
export default defineScenario({
  name: 'idle',
  description:
    'kubelet-style probes: GET at --rate per second (default 1) for --duration, a new TCP connection each, 1 s timeout',
  phases: (p) => [idlePhase('idle', p, p.durationMs)],
});
