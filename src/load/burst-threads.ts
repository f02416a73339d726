import { Worker } from 'node:worker_threads';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { scriptBundleSync } from '../script-bundles.ts';
import { BurstEngine } from './burst-engine.ts';
import type { BurstPhase, BurstSinks } from './burst-phase.ts';
import type { ShardStart, ShardMessage } from './burst-worker.ts';

/**
 * The worker's code, bundled once per process into one CommonJS script (src/script-bundles.ts):
 * Node 20 does not run `--import` hooks (tsx) in worker threads, and registering tsx in each
 * worker took 1.5-2 s on a busy 2-core machine; esbuild bundles the shard in about 0.1 s.
 */
function shardScript(): string {
  return scriptBundleSync('burst-worker');
}

/**
 * The net engine on several threads: each worker thread holds a share of the connections and
 * runs the same client; the requests are claimed from one shared counter, so the count stays
 * exact whichever thread is faster. Workers send each answer's status, latency and request (which
 * of the mix it answered) here in
 * batches, and this thread counts them all (timeline, histogram, status codes, warnings) as the
 * one-thread engine does, so the run's files are the same.
 */
export async function runBurstThreaded(
  phase: BurstPhase,
  sinks: BurstSinks,
  threads: number,
  batchWrites: boolean,
): Promise<PhaseLoadSummary> {
  const tally = new BurstEngine(phase, sinks, batchWrites);
  const claimed = new Int32Array(new SharedArrayBuffer(4));
  const workers: Worker[] = [];
  tally.startTally();
  const onAbort = () => {
    for (const w of workers) w.postMessage('stop');
  };
  sinks.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const shares = Array.from(
      { length: threads },
      (_, i) => Math.floor(phase.connections / threads) + (i < phase.connections % threads ? 1 : 0),
    ).filter((n) => n > 0);
    await Promise.all(
      shares.map(
        (connections) =>
          new Promise<void>((resolve, reject) => {
            const start: ShardStart = {
              name: phase.name,
              href: phase.url.href,
              requests: phase.requests,
              connections,
              timeoutMs: phase.timeoutMs,
              ...(phase.method && { method: phase.method }),
              ...(phase.mix && { mix: phase.mix }),
              batchWrites,
              claimed,
            };
            const w = new Worker(shardScript(), { eval: true, workerData: start });
            workers.push(w);
            let done = false;
            w.on('message', (m: ShardMessage) => {
              for (let i = 0; i < m.answers.length; i += 3)
                tally.response(m.answers[i]!, m.answers[i + 1]!, m.answers[i + 2]!);
              for (const [message, timedOut] of m.errors) tally.error(message, timedOut);
              if (m.resent !== undefined) {
                tally.resent += m.resent;
                done = true;
                resolve();
              }
            });
            w.on('error', reject);
            w.on('exit', (code) =>
              done
                ? undefined
                : reject(new Error(`burst worker thread exited with code ${code} before its shard ended`)),
            );
            if (sinks.signal.aborted) w.postMessage('stop');
          }),
      ),
    );
  } finally {
    sinks.signal.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return tally.endTally();
}
