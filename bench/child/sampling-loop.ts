/**
 * Child process of bench/sites.ts (--only node-loop): what V8's sampling heap profiler costs code that
 * does nothing but allocate (the worst case; a server also parses, writes and waits). A loop of
 * 2 KiB strings and small objects (one in 16 kept for a while), run once to warm up, then with
 * the profiler started through an inspector session of its own (never, for interval 0) and run
 * again; prints the CPU ms of that run. One process per run: stopping the profiler forces a full
 * collection, after which the process runs slower for a while.
 *
 *   node --import tsx bench/child/sampling-loop.ts ITERATIONS INTERVAL
 */
import { Session } from 'node:inspector/promises';

const [iterations, interval] = process.argv.slice(2).map(Number);
if (!iterations || interval === undefined || !Number.isFinite(interval))
  throw new Error('usage: sampling-loop.ts ITERATIONS INTERVAL');

function loop(n: number): number {
  const t0 = process.cpuUsage();
  let keep: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const o = { i, s: Buffer.alloc(2048, 97).toString('latin1'), small: [i, i + 1, { k: i }] };
    if (i % 16 === 0) keep.push(o);
    if (keep.length > 20_000) keep = [];
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

const session = new Session();
session.connect();
loop(iterations);
if (interval > 0) await session.post('HeapProfiler.startSampling', { samplingInterval: interval });
console.log(loop(iterations).toFixed(1));
session.disconnect();
