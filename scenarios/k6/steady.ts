/**
 * k6 entry point of the steady scenario: constant-arrival-rate (or ramping-arrival-rate with LEAKBENCH_STAGES) at LEAKBENCH_RATE per second (default 100) for LEAKBENCH_DURATION, at most LEAKBENCH_CONNECTIONS VUs, each on its kept-alive connection.
 * Built from scenarios/steady.ts, the definition the built-in runner uses. Bundle with
 * `npm run build:k6`, run with `k6 run -e LEAKBENCH_URL=http://host:port dist/k6/steady.js`.
 */
import type { Options } from 'k6/options';
import definition from '../steady.ts';
import { makeScript } from './lib/script.ts';

const script = makeScript(definition, __ENV);

export const options: Options = script.options;
export const setup = script.setup;
export const steady = script.steady;
export default script.steady;
export const handleSummary = script.handleSummary;
