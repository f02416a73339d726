/**
 * k6 entry point of the burst scenario: the report's load test: shared-iterations, LEAKBENCH_REQUESTS (default 1,000,000) over LEAKBENCH_CONNECTIONS VUs (default 100) on keep-alive connections.
 * Built from scenarios/burst.ts, the definition the built-in runner uses. Bundle with
 * `npm run build:k6`, run with `k6 run -e LEAKBENCH_URL=http://host:port dist/k6/burst.js`.
 */
import type { Options } from 'k6/options';
import definition from '../burst.ts';
import { makeScript } from './lib/script.ts';

const script = makeScript(definition, __ENV);

export const options: Options = script.options;
export const setup = script.setup;
export const burst = script.burst;
export default script.burst;
export const handleSummary = script.handleSummary;
