import type { ScenarioDefinition } from '../src/load/phases.ts';
import type { RunOptions } from '../src/options/run-options.ts';

/** The report's load test: 1,000,000 requests, 100 in parallel over keep-alive connections. */
const burst: ScenarioDefinition<RunOptions> = {
  name: 'burst',
  description: '--requests (default 1,000,000) over --connections (default 100) keep-alive connections, as fast as the target answers',
  phases: (o) => [{ name: 'burst', kind: 'burst', path: o.path, requests: o.requests, connections: o.connections, timeoutMs: o.requestTimeoutMs }],
};
export default burst;
