/**
 * k6 entry point of the soak scenario: idle probes, the burst, idle probes again, back to back: the probes after the burst start as soon as this instance's burst VUs are done (to-k6-options.ts).
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
export const idleAfterBurst = script.idleAfterBurst;
export const handleSummary = script.handleSummary;
