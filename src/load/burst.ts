import { availableParallelism } from 'node:os';
import { LIMITS } from '../options/rules.ts';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { BurstEngine } from './burst-engine.ts';
import type { BurstPhase, BurstSinks } from './burst-phase.ts';

export { BurstEngine } from './burst-engine.ts';
export {
  phaseMix,
  PROGRESS_EVERY,
  requestBytes,
  type BurstMethod,
  type BurstPhase,
  type BurstSinks,
} from './burst-phase.ts';

/**
 * The report's load test: a fixed number of GETs over keep-alive connections, one request at a
 * time per connection, each connection taking the next request as soon as its previous answer
 * is in (shared iterations, like k6's executor of that name).
 *
 * A lean client on node:net rather than autocannon: per response it does a byte scan of the
 * head, two clock reads and one histogram record, and no events, strings or timers, because on
 * a 2-core machine every microsecond the load generator spends is taken from the target.
 *
 * Counting is exact: a request is claimed before it is sent (or its connection opened), and
 * every claimed request ends as one response or one error (refused, reset, closed mid-response,
 * unparseable, or timed out); an error drops that connection and opens a new one.
 *
 * One exception to "an error ends it": when a server closes a kept-alive connection before
 * sending any byte of the answer to the request written on it (an idle timeout that crossed the
 * request on the wire), the request is sent once more on a new connection, as browsers, curl and
 * Go's http.Transport do for idempotent requests (RFC 9112, section 9.3.1). It still ends once,
 * as its second attempt's outcome; the run says how many were sent again.
 */
export async function runBurst(
  phase: BurstPhase,
  sinks: BurstSinks,
  tuning: BurstTuning = {},
): Promise<PhaseLoadSummary> {
  const threads = tuning.threads ?? defaultThreads(phase);
  if (threads > 1) {
    const { runBurstThreaded } = await import('./burst-threads.ts');
    return runBurstThreaded(phase, sinks, threads, tuning.batchWrites ?? true);
  }
  const engine = new BurstEngine(phase, sinks, tuning.batchWrites ?? true);
  return engine.run();
}

/** Knobs for the benchmark and for `--burst-threads`; the pack uses the defaults otherwise. */
export interface BurstTuning {
  /** Write the next requests together after each round of reads (default) or one by one. */
  batchWrites?: boolean;
  /** Threads that hold connections (default: see defaultThreads). */
  threads?: number;
}

/**
 * One thread per core left to the engine once the target has one, for a burst large enough to
 * outlast a thread's start-up: the pack's targets run on the same machine (loopback), and on
 * 2 cores a second engine thread only takes the target's core. Measured on a shared 2-core
 * machine (docs/engine-performance.md): one thread spent 7-8 µs of CPU per request, two
 * threads 11 µs (the main thread tallies what the workers send it), with the same target CPU
 * per request at load average 11-13. When other jobs hold most of the cores, two threads get
 * a larger share from the scheduler and may go faster: `--burst-threads 2`. A small burst is
 * over before a second thread would start.
 */
export function defaultThreads(
  phase: Pick<BurstPhase, 'requests' | 'connections'>,
  cores = availableParallelism(),
): number {
  if (phase.requests < 20_000) return 1;
  return Math.max(1, Math.min(cores - 1, phase.connections, LIMITS.burstThreads.max));
}
