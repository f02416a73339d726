/**
 * k6 entry point of the soak scenario: idle probes, the burst, idle probes again, chained with startTime (k6 cannot start a phase when the previous one ends).
 * Built from scenarios/soak.ts, the definition the built-in runner uses. Bundle with
 * `npm run build:k6`, run with `k6 run -e LEAKBENCH_URL=http://host:port dist/k6/soak.js`.
 */
import type { Options } from 'k6/options';
import definition from '../soak.ts';
import { makeScript } from './lib/script.ts';

const script = makeScript(definition, __ENV);

export const options: Options = script.options;
export const setup = script.setup;
export const idle = script.idle;
export const burst = script.burst;
export const handleSummary = script.handleSummary;
