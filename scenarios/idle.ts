import type { ScenarioDefinition } from '../src/load/phases.ts';
import type { RunOptions } from '../src/options/run-options.ts';

/** The report's steady state: a kubelet probing /health_check once a second, a new connection each time. */
const idle: ScenarioDefinition<RunOptions> = {
  name: 'idle',
  description: 'kubelet-style probes: GET at --rate per second (default 1) for --duration, a new TCP connection each, 1 s timeout',
  phases: (o) => [{ name: 'idle', kind: 'idle', path: o.path, rate: o.rate, durationMs: o.durationMs, timeoutMs: o.probeTimeoutMs }],
};
export default idle;
