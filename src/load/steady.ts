import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { newLatencyHistogram, recordMs, secondStats } from './latency.ts';
import { finishPhaseSummary, mixCounts } from './phase-summary.ts';
import { nodeRequestHeaders, prepareRequests } from './request-bytes.ts';
import { statusExpected } from '../options/request-def.ts';
import { SecondBuckets } from './second-buckets.ts';
import { makeSchedule } from './steady-schedule.ts';
import type { SteadyPhaseSpec } from './phases.ts';
import type { BurstSinks } from './burst.ts';

/** The phase as the scenario gives it, aimed at a URL (the path is the URL's). */
export type SteadyPhase = Omit<SteadyPhaseSpec, 'kind' | 'path'> & { url: URL };

/** What the burst reports to, the steady phase reports to: per-second buckets, progress, warnings. */
export type SteadySinks = BurstSinks;

/** A request sent this long after its scheduled time counts as late. */
export const LATE_AFTER_MS = 10;

interface Due {
  duePerf: number;
}

/**
 * A steady soak: requests at a fixed arrival rate (or ramped through stages) over kept-alive
 * connections, for a duration. An open model, like k6's arrival-rate executors and wrk2: a
 * request is sent at its scheduled time whether or not earlier ones have been answered, on
 * any free connection; only when `connections` requests are already in flight does it wait
 * for one to free up (and counts as late), and if it waits longer than the timeout it is not
 * sent at all (counted, as k6 counts dropped iterations).
 *
 * Latency is measured from the scheduled time, not from the send, so a stall that delays the
 * sends shows in the latencies instead of being hidden (coordinated omission).
 */
export async function runSteady(phase: SteadyPhase, sinks: SteadySinks): Promise<PhaseLoadSummary> {
  const schedule = makeSchedule(phase.rate, phase.durationMs, phase.stages);
  const total = schedule.count;
  const prepared = prepareRequests(phase.mix, phase.url);
  const answeredBy = new Float64Array(prepared.resolved.length);
  const hist = newLatencyHistogram();
  const lateness = newLatencyHistogram();
  const buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond, hist);
  const statusCodes: Record<string, number> = {};
  let completed = 0,
    errors = 0,
    timeouts = 0,
    non2xx = 0,
    unexpected = 0,
    late = 0,
    notSent = 0,
    sent = 0;
  let inFlight = 0,
    peakInFlight = 0,
    connectionsOpened = 0;
  const https = phase.url.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: phase.connections, rejectUnauthorized: false })
    : new HttpAgent({ keepAlive: true, maxSockets: phase.connections });
  const seenSockets = new WeakSet<Socket>();
  const live = new Set<ClientRequest>();
  const backlog: Due[] = [];
  const startT = sinks.clock.now();
  const startPerf = performance.now() + 1;
  let next = 0;
  let finished: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  buckets.start();

  const settle = () => {
    if (next >= total && backlog.length === 0 && inFlight === 0) finished?.();
  };

  const send = (d: Due) => {
    const sentPerf = performance.now();
    const lateMs = sentPerf - d.duePerf;
    recordMs(lateness, lateMs);
    if (lateMs > LATE_AFTER_MS) late++;
    sent++;
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    const which = prepared.next();
    const def = prepared.resolved[which]!;
    const body = def.body === undefined ? undefined : Buffer.from(def.body, 'utf8');
    let done = false;
    const end = (status: number | undefined, timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      live.delete(req);
      inFlight--;
      if (status !== undefined) {
        // From the schedule, not the send: see the note above.
        const latencyMs = performance.now() - d.duePerf;
        completed++;
        answeredBy[which]!++;
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (status < 200 || status > 299) non2xx++;
        if (!statusExpected(def, status)) unexpected++;
        buckets.response(status, latencyMs);
      } else {
        errors++;
        if (timedOut) timeouts++;
        buckets.error(timedOut);
      }
      sinks.onProgress?.(completed + errors, total);
      pump();
      settle();
    };
    const req = (https ? httpsRequest : httpRequest)(
      new URL(def.path, phase.url),
      { method: def.method, agent, headers: nodeRequestHeaders(def, body) },
      (res) => {
        res.resume();
        res.on('end', () => end(res.statusCode ?? 0));
        res.on('error', () => end(undefined));
      },
    );
    live.add(req);
    req.on('socket', (s: Socket) => {
      if (!seenSockets.has(s)) {
        seenSockets.add(s);
        connectionsOpened++;
      }
    });
    const t = setTimeout(() => {
      end(undefined, true);
      req.destroy();
    }, phase.timeoutMs);
    req.on('error', () => end(undefined));
    req.end(body);
  };

  /** Sends what waits for a connection, oldest first, dropping what waited past the timeout. */
  const pump = () => {
    const now = performance.now();
    while (backlog.length > 0 && inFlight < phase.connections) {
      const d = backlog.shift()!;
      if (now - d.duePerf > phase.timeoutMs) {
        notSent++;
        continue;
      }
      send(d);
    }
  };

  const tick = () => {
    timer = undefined;
    if (sinks.signal.aborted) return;
    const now = performance.now();
    while (next < total && startPerf + schedule.offsetMs(next) <= now) {
      const d = { duePerf: startPerf + schedule.offsetMs(next) };
      next++;
      if (inFlight < phase.connections && backlog.length === 0) send(d);
      else backlog.push(d);
    }
    pump();
    if (next < total) {
      // setTimeout wakes about a millisecond late at best; the lateness is measured, not hidden.
      timer = setTimeout(tick, Math.max(0, startPerf + schedule.offsetMs(next) - performance.now()));
    } else {
      // The schedule is over: what still waits for a connection is not sent.
      notSent += backlog.length;
      backlog.length = 0;
      settle();
    }
  };

  const onAbort = () => {
    if (timer) clearTimeout(timer);
    for (const r of live) r.destroy();
    finished?.();
  };
  sinks.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve) => {
      finished = resolve;
      if (sinks.signal.aborted) return resolve();
      timer = setTimeout(tick, Math.max(0, startPerf - performance.now()));
    });
  } finally {
    sinks.signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    agent.destroy();
    buckets.stop();
  }
  const durationS = sinks.clock.now() - startT;
  if (!sinks.signal.aborted && sent + notSent !== total) {
    sinks.onWarning(
      `steady ${phase.name}: ${total} requests scheduled, ${sent} sent and ${notSent} not sent (${total - sent - notSent} unaccounted for)`,
    );
  }
  if (notSent > 0 || late > 0) {
    sinks.onWarning(
      `steady ${phase.name}: ${late} of ${sent} requests sent more than ${LATE_AFTER_MS} ms late and ${notSent} not sent: the target or the connection cap (--connections ${phase.connections}) could not keep the rate`,
    );
  }
  const lateStats = secondStats(lateness);
  const steady = {
    scheduled: total,
    late,
    lateAfterMs: LATE_AFTER_MS,
    notSent,
    sendLateness: { p50: lateStats.p50 ?? 0, p99: lateStats.p99 ?? 0, max: lateStats.max ?? 0 },
    peakInFlight,
    connectionsOpened,
  };
  lateness.destroy();
  const counts = { requested: total, sent: completed + errors, completed, errors, timeouts, non2xx, statusCodes };
  return finishPhaseSummary(phase.name, 'steady', counts, durationS, hist, {
    ...mixCounts(prepared, answeredBy, unexpected),
    steady,
  });
}
