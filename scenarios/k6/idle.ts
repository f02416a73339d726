/**
 * k6 entry point of the idle scenario: kubelet-style probes: constant-arrival-rate, LEAKBENCH_RATE per second (default 1) for LEAKBENCH_DURATION (default 10m), a new connection per probe.
 * Built from scenarios/idle.ts, the definition the built-in runner uses. Bundle with
 * `npm run build:k6`, run with `k6 run -e LEAKBENCH_URL=http://host:port dist/k6/idle.js`.
 */
import type { Options } from 'k6/options';
import definition from '../idle.ts';
import { makeScript } from './lib/script.ts';

const script = makeScript(definition, __ENV);

export const options: Options = script.options;
export const setup = script.setup;
export const idle = script.idle;
export default script.idle;
export const handleSummary = script.handleSummary;
