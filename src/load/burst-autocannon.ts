import { finishPhaseSummary, mixCounts } from './phase-summary.ts';
import autocannon from 'autocannon';
import type { Histogram } from 'hdr-histogram-js';
import type { EventEmitter } from 'node:events';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { LeakbenchError } from '../errors.ts';
import { phaseMix, type BurstPhase, type BurstSinks } from './burst-phase.ts';
import { ErrorReasons, warnCounts } from './burst-warnings.ts';
import { newLatencyHistogram, recordMs } from './latency.ts';
import { SecondBuckets } from './second-buckets.ts';
import { prepareRequests } from './request-bytes.ts';
import { cycle, statusExpected, type RequestDef } from '../options/request-def.ts';

/*
 * The burst on autocannon's API (--engine autocannon). The default engine is the pack's node:net
 * client in burst.ts: it counts exactly against every server in the HTTP/1.1 conformance suite
 * (test/integration/http1-conformance.test.ts) and takes less CPU per request; autocannon does
 * not count exactly in some of those cases, and this engine says so in the run when it sees one.
 */

/**
 * The report's load test: a fixed number of requests over keep-alive connections, with
 * autocannon's `amount` (it gives each connection its share and stops each at its share).
 *
 * autocannon's own count is exact only while every connection stays up and every answer is a
 * final one. Where it is not, the run gets a warning rather than a quietly wrong number:
 * - a server that closes a connection with a request on it: autocannon reconnects and writes
 *   the next request without counting the lost one (seen as requests written that ended
 *   neither as a response nor as an error);
 * - a 1xx interim answer (103 Early Hints): its parser takes it for the response, and the
 *   real answer then stands for the next request;
 * - a connection reset or broken while open: its parser is kept across the reconnect, so the
 *   rest of a half-read answer is looked for in the next connection's bytes;
 * - --request-timeout below or between whole seconds: autocannon takes whole seconds.
 * It cannot send HEAD: its parser would wait for the body the head announces, so that is refused.
 */
export async function runBurstAutocannon(phase: BurstPhase, sinks: BurstSinks): Promise<PhaseLoadSummary> {
  if (phaseMix(phase).requests.some((r) => r.method === 'HEAD')) {
    throw new LeakbenchError(
      '--engine autocannon cannot send HEAD requests: its response parser waits for the body a HEAD answer announces but never sends; use --engine net',
    );
  }
  const buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond);
  const startT = sinks.clock.now();
  const tally = newTally(startT);
  const sent = () => tally.completed + tally.errors;
  const prepared = prepareRequests(phaseMix(phase), phase.url);
  const answeredBy = new Float64Array(prepared.resolved.length);
  let unexpected = 0;
  // One cycle of the order as autocannon's `requests` array, which each connection walks in
  // turn; onResponse tells which entry an answer belongs to.
  const requests = cycle(prepared.mix).map((i) => ({
    ...autocannonRequest(prepared.resolved[i]!, sinks.onWarning),
    onResponse: (status: number) => {
      answeredBy[i]!++;
      if (!statusExpected(prepared.resolved[i]!, status)) unexpected++;
    },
  }));
  buckets.start();
  const timeoutS = wholeSecondsTimeout(phase, sinks);
  const result = await runAutocannon(phase, sinks, { requests, timeoutS, tally, buckets });
  buckets.stop();
  const durationS = (sent() > 0 ? tally.lastDoneT : sinks.clock.now()) - startT;

  const { completed, errors, timeouts, non2xx, statusCodes } = tally;
  if (!sinks.signal.aborted) warnMiscounts(phase.name, sinks.onWarning, tally, sinks.signal.aborted);
  warnCounts(
    phase.name,
    sinks.signal.aborted ? sent() : phase.requests,
    completed,
    errors,
    tally.reasons,
    sinks.onWarning,
  );
  if (result.errors !== errors || result.timeouts !== timeouts) {
    sinks.onWarning(
      `burst ${phase.name}: autocannon counted ${result.errors} errors / ${result.timeouts} timeouts, the pack counted ${errors} / ${timeouts}`,
    );
  }
  return finishPhaseSummary(
    phase.name,
    'burst',
    { requested: phase.requests, sent: sent(), completed, errors, timeouts, non2xx, statusCodes },
    durationS,
    tally.hist,
    mixCounts(prepared, answeredBy, unexpected),
  );
}

/** The pack's own count of a burst, from autocannon's per-request events. */
interface Tally {
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  interim: number;
  written: number;
  resets: number;
  statusCodes: Record<string, number>;
  hist: Histogram;
  reasons: ErrorReasons;
  // autocannon reports "done" on its next one-second tick; the last answer is the real end.
  lastDoneT: number;
}

function newTally(startT: number): Tally {
  return {
    completed: 0,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    interim: 0,
    written: 0,
    resets: 0,
    statusCodes: {},
    hist: newLatencyHistogram(),
    reasons: new ErrorReasons(),
    lastDoneT: startT,
  };
}

/** One autocannon run of the phase, every response and error counted into the tally as it comes. */
function runAutocannon(
  phase: BurstPhase,
  sinks: BurstSinks,
  run: { requests: autocannon.Request[]; timeoutS: number; tally: Tally; buckets: SecondBuckets },
): Promise<autocannon.Result> {
  const { requests, timeoutS, tally, buckets } = run;
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: phase.url.href,
        connections: phase.connections,
        amount: phase.requests,
        timeout: timeoutS,
        requests,
        // Our own histogram records every response; autocannon's would skip non-2xx.
        skipAggregateResult: false,
        // Each connection's writes, to find requests that ended as neither response nor error.
        // (@types/autocannon leaves the client's 'request' event out; autocannon emits it per write.)
        setupClient: (client) => (client as unknown as EventEmitter).on('request', () => tally.written++),
      },
      (err: Error | null, res: autocannon.Result) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      tally.completed++;
      tally.statusCodes[statusCode] = (tally.statusCodes[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) tally.non2xx++;
      if (statusCode >= 100 && statusCode < 200) tally.interim++;
      recordMs(tally.hist, responseTime);
      buckets.response(statusCode, responseTime);
      tally.lastDoneT = sinks.clock.now();
      sinks.onProgress?.(tally.completed + tally.errors, phase.requests);
    });
    instance.on('reqError', (err: Error) => {
      const timedOut = /timed out/.test(err.message);
      tally.errors++;
      if (timedOut) tally.timeouts++;
      if (!timedOut && (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') tally.resets++;
      tally.reasons.add(timedOut ? `request timed out after ${timeoutS} s` : errorMessage(err));
      buckets.error(timedOut);
      tally.lastDoneT = sinks.clock.now();
      sinks.onProgress?.(tally.completed + tally.errors, phase.requests);
    });
    const onAbort = () => instance.stop();
    sinks.signal.addEventListener('abort', onAbort, { once: true });
    instance.once('done', () => sinks.signal.removeEventListener('abort', onAbort));
  });
}

const warnedChunked = new WeakSet<(m: string) => void>();

/** A definition in autocannon's terms: headers as an object (repeated names joined, as HTTP allows). */
function autocannonRequest(
  r: RequestDef,
  warn: (m: string) => void,
): { method: autocannon.Request['method']; path: string; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = {};
  for (const [n, v] of r.headers) {
    if (n.toLowerCase() === 'transfer-encoding') {
      // autocannon always sends a Content-Length body; chunked uploads need --engine net.
      if (!warnedChunked.has(warn))
        warn(
          'autocannon sends bodies with Content-Length, not chunked: use --engine net for Transfer-Encoding: chunked',
        );
      warnedChunked.add(warn);
      continue;
    }
    const key = Object.keys(headers).find((k) => k.toLowerCase() === n.toLowerCase()) ?? n;
    headers[key] = headers[key] === undefined ? v : `${headers[key]}${n.toLowerCase() === 'cookie' ? '; ' : ', '}${v}`;
  }
  // autocannon writes Content-Length only for a non-empty body; an empty POST still needs it.
  if ((r.body === undefined || r.body === '') && ['POST', 'PUT', 'PATCH'].includes(r.method))
    headers['Content-Length'] = '0';
  return {
    method: r.method as autocannon.Request['method'],
    path: r.path,
    headers,
    ...(r.body !== undefined && r.body !== '' && { body: r.body }),
  };
}

function errorMessage(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

/** autocannon takes whole seconds: a timeout it cannot keep is said in the run. */
function wholeSecondsTimeout(phase: BurstPhase, sinks: BurstSinks): number {
  const timeoutS = Math.max(1, Math.round(phase.timeoutMs / 1000));
  if (timeoutS * 1000 !== phase.timeoutMs) {
    sinks.onWarning(
      `burst ${phase.name}: autocannon cannot count exactly with this timeout: it takes whole seconds, so --request-timeout ${phase.timeoutMs} ms runs as ${timeoutS} s`,
    );
  }
  return timeoutS;
}

/** The cases in which autocannon's count is not exact, each as a warning of the run. */
function warnMiscounts(
  name: string,
  warn: (m: string) => void,
  c: { written: number; completed: number; errors: number; interim: number; resets: number },
  /** An interrupted burst leaves requests written and unanswered by design. */
  aborted: boolean,
): void {
  const { written, completed, errors, interim, resets } = c;
  if (!aborted && written > completed + errors) {
    warn(
      `burst ${name}: autocannon cannot count exactly against this server: it wrote ${written} requests and saw ${completed} responses and ${errors} errors, ` +
        `so ${written - completed - errors} requests ended as neither (it reconnects without counting an error when the server closes a connection with a request on it); use --engine net for exact counts`,
    );
  }
  if (interim > 0) {
    warn(
      `burst ${name}: autocannon cannot count exactly against this server: it took ${interim} interim answers (1xx, such as 103 Early Hints) for responses, ` +
        'so its status counts and latencies are not exact; use --engine net for exact counts',
    );
  }
  if (resets > 0) {
    warn(
      `burst ${name}: autocannon cannot count exactly against this server: ${resets} connections failed while open (reset or broken), and autocannon keeps one response parser ` +
        "per connection across reconnects, so an answer cut off mid-body runs on into the next connection's; use --engine net for exact counts",
    );
  }
}
