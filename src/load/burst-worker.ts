/**
 * One shard of a threaded net-engine burst (burst-threads.ts), run in a worker thread: the
 * one-thread client on its share of the connections, sending what it saw to the main thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { BurstEngine } from './burst-engine.ts';
import type { BurstMethod } from './burst-phase.ts';
import type { RequestMix } from '../options/request-def.ts';
import { startClock } from './clock.ts';

export interface ShardStart {
  name: string;
  href: string;
  requests: number;
  connections: number;
  timeoutMs: number;
  method?: BurstMethod;
  /** The phase's requests as defined (`{env:NAME}` values are resolved in the worker, from its copy of the environment). */
  mix?: RequestMix;
  batchWrites: boolean;
  claimed: Int32Array;
}

/** Status, latency and request index (into the mix) of each answer since the last message, and the errors. */
export interface ShardMessage {
  answers: Float64Array;
  errors: [string, boolean][];
  /** Present on the last message: requests this shard sent again (see burst.ts). */
  resent?: number;
}

/** Answers go out in batches: often enough for the per-second timeline, rarely enough to cost nothing. */
const BATCH_ANSWERS = 2048;
const FLUSH_MS = 50;

async function runShard(start: ShardStart): Promise<void> {
  const port = parentPort!;
  const answers = new Float64Array(3 * BATCH_ANSWERS);
  let n = 0;
  let errors: [string, boolean][] = [];
  const flush = (resent?: number) => {
    if (n === 0 && errors.length === 0 && resent === undefined) return;
    const m: ShardMessage = { answers: answers.slice(0, n), errors, ...(resent !== undefined && { resent }) };
    port.postMessage(m);
    n = 0;
    errors = [];
  };
  const ac = new AbortController();
  port.on('message', (m: unknown) => {
    if (m === 'stop') ac.abort();
  });
  const timer = setInterval(flush, FLUSH_MS);
  const engine = new BurstEngine(
    {
      name: start.name,
      url: new URL(start.href),
      requests: start.requests,
      connections: start.connections,
      timeoutMs: start.timeoutMs,
      ...(start.method && { method: start.method }),
      ...(start.mix && { mix: start.mix }),
    },
    { clock: startClock(), signal: ac.signal, onSecond: () => {}, onWarning: () => {} },
    start.batchWrites,
    {
      claimed: start.claimed,
      response(status, latencyMs, requestIndex) {
        answers[n++] = status;
        answers[n++] = latencyMs;
        answers[n++] = requestIndex;
        if (n === answers.length) flush();
      },
      error(message, timedOut) {
        errors.push([message, timedOut]);
      },
    },
  );
  await engine.run();
  clearInterval(timer);
  flush(engine.resent);
  port.close();
}

// An error thrown here ends the worker with an 'error' event, which fails the burst.
if (!isMainThread) void runShard(workerData as ShardStart);
