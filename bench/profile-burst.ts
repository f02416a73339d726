/**
 * One burst of the default engine against a URL, for profiling and tracing the engine alone:
 *
 *   node --import tsx bench/profile-burst.ts URL [REQUESTS] [CONNECTIONS] [THREADS]
 *
 * e.g. under `node --cpu-prof` or `strace -c -f` (docs/engine-performance.md). Prints the rate
 * and this process's CPU per request.
 */
import { performance } from 'node:perf_hooks';
import { runBurst } from '../src/load/burst.ts';
import { startClock } from '../src/load/clock.ts';

const [href, requestsArg, connectionsArg, threadsArg] = process.argv.slice(2);
if (!href) throw new Error('usage: node --import tsx bench/profile-burst.ts URL [REQUESTS] [CONNECTIONS] [THREADS]');
const requests = Number(requestsArg ?? 100_000);
const connections = Number(connectionsArg ?? 100);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r = await runBurst(
  { name: 'profile', url: new URL(href), requests, connections, timeoutMs: 10_000 },
  { clock: startClock(), signal: new AbortController().signal, onSecond: () => {}, onWarning: () => {} },
  threadsArg === undefined ? {} : { threads: Number(threadsArg) },
);
const s = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${r.completed} answers, ${r.errors} errors in ${s.toFixed(2)} s: ${Math.round(r.completed / s)} req/s, ` +
    `${((cpu.user + cpu.system) / r.sent).toFixed(1)} µs CPU/request (this process)\n`,
);
