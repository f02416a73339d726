import { finishPhaseSummary } from './phase-summary.ts';
import autocannon from 'autocannon';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import type { BurstPhase, BurstSinks } from './burst.ts';
import { newLatencyHistogram, recordMs } from './latency.ts';
import { SecondBuckets } from './second-buckets.ts';

/*
 * The burst on autocannon's API: the pack's default engine, as the mission names it. The lean
 * node:net engine in burst.ts (--engine net) does the same work with less CPU per request; see
 * bench/results for the two side by side against wrk.
 */


/**
 * The report's load test: a fixed number of requests over keep-alive connections, with
 * autocannon's `amount` (it gives each connection its share and stops each at its share).
 * Every request ends as a response or an error; the sum is checked against what was asked.
 */
export async function runBurstAutocannon(phase: BurstPhase, sinks: BurstSinks): Promise<PhaseLoadSummary> {
  const hist = newLatencyHistogram();
  const statusCodes: Record<string, number> = {};
  let completed = 0, errors = 0, timeouts = 0, non2xx = 0;
  const sent = () => completed + errors;
  const buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond);
  const startT = sinks.clock.now();
  // autocannon reports "done" on its next one-second tick; the last answer is the real end.
  let lastDoneT = startT;
  buckets.start();

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: phase.url.href,
        connections: phase.connections,
        amount: phase.requests,
        timeout: phase.timeoutMs / 1000,
        // Our own histogram records every response; autocannon's would skip non-2xx.
        skipAggregateResult: false,
      },
      (err: Error | null, res: autocannon.Result) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      completed++;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) non2xx++;
      recordMs(hist, responseTime);
      buckets.response(statusCode, responseTime);
      lastDoneT = sinks.clock.now();
      sinks.onProgress?.(completed + errors, phase.requests);
    });
    instance.on('reqError', (err: Error) => {
      const timedOut = /timed out/.test(err.message);
      errors++;
      if (timedOut) timeouts++;
      buckets.error(timedOut);
      lastDoneT = sinks.clock.now();
      sinks.onProgress?.(completed + errors, phase.requests);
    });
    const onAbort = () => instance.stop();
    sinks.signal.addEventListener('abort', onAbort, { once: true });
    instance.once('done', () => sinks.signal.removeEventListener('abort', onAbort));
  });
  buckets.stop();
  const durationS = (sent() > 0 ? lastDoneT : sinks.clock.now()) - startT;

  if (!sinks.signal.aborted && sent() !== phase.requests) {
    sinks.onWarning(`burst ${phase.name}: ${phase.requests} requests asked, ${completed} responses and ${errors} errors seen (${phase.requests - sent()} unaccounted for)`);
  }
  if (result.errors !== errors || result.timeouts !== timeouts) {
    sinks.onWarning(`burst ${phase.name}: autocannon counted ${result.errors} errors / ${result.timeouts} timeouts, the pack counted ${errors} / ${timeouts}`);
  }
  return finishPhaseSummary(phase.name, 'burst', { requested: phase.requests, sent: sent(), completed, errors, timeouts, non2xx, statusCodes }, durationS, hist);
}
