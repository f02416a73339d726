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
  const run = new SteadyRun(phase, sinks);
  await run.run();
  return run.summary();
}

/** Counts of one steady phase as it goes. */
interface SteadyCounts {
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  unexpected: number;
  late: number;
  notSent: number;
  sent: number;
  inFlight: number;
  peakInFlight: number;
  connectionsOpened: number;
}

/** One steady phase: the schedule's clock (tick), the connection cap (pump), one request (send). */
class SteadyRun {
  private readonly schedule: ReturnType<typeof makeSchedule>;
  private readonly total: number;
  private readonly prepared: ReturnType<typeof prepareRequests>;
  private readonly answeredBy: Float64Array;
  private readonly hist = newLatencyHistogram();
  private readonly lateness = newLatencyHistogram();
  private readonly buckets: SecondBuckets;
  private readonly statusCodes: Record<string, number> = {};
  private readonly c: SteadyCounts = {
    completed: 0,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    unexpected: 0,
    late: 0,
    notSent: 0,
    sent: 0,
    inFlight: 0,
    peakInFlight: 0,
    connectionsOpened: 0,
  };
  private readonly https: boolean;
  private readonly agent: HttpAgent;
  private readonly seenSockets = new WeakSet<Socket>();
  private readonly live = new Set<ClientRequest>();
  private readonly backlog: Due[] = [];
  private readonly startT: number;
  private readonly startPerf: number;
  private next = 0;
  private finished: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private durationS = 0;

  constructor(
    private readonly phase: SteadyPhase,
    private readonly sinks: SteadySinks,
  ) {
    this.schedule = makeSchedule(phase.rate, phase.durationMs, phase.stages);
    this.total = this.schedule.count;
    this.prepared = prepareRequests(phase.mix, phase.url);
    this.answeredBy = new Float64Array(this.prepared.resolved.length);
    this.buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond, this.hist);
    this.https = phase.url.protocol === 'https:';
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: phase.connections, rejectUnauthorized: false })
      : new HttpAgent({ keepAlive: true, maxSockets: phase.connections });
    this.startT = sinks.clock.now();
    this.startPerf = performance.now() + 1;
  }

  /** Runs the schedule to its end (or the abort), every request answered, timed out or dropped. */
  async run(): Promise<void> {
    const { sinks } = this;
    this.buckets.start();
    const onAbort = () => {
      if (this.timer) clearTimeout(this.timer);
      for (const r of this.live) r.destroy();
      this.finished?.();
    };
    sinks.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve) => {
        this.finished = resolve;
        if (sinks.signal.aborted) return resolve();
        this.timer = setTimeout(() => this.tick(), Math.max(0, this.startPerf - performance.now()));
      });
    } finally {
      sinks.signal.removeEventListener('abort', onAbort);
      if (this.timer) clearTimeout(this.timer);
      this.agent.destroy();
      this.buckets.stop();
    }
    this.durationS = sinks.clock.now() - this.startT;
  }

  private settle(): void {
    if (this.next >= this.total && this.backlog.length === 0 && this.c.inFlight === 0) this.finished?.();
  }

  /** Sends what is due now; waits for the next due time, or ends the schedule. */
  private tick(): void {
    const { schedule, startPerf } = this;
    this.timer = undefined;
    if (this.sinks.signal.aborted) return;
    const now = performance.now();
    while (this.next < this.total && startPerf + schedule.offsetMs(this.next) <= now) {
      const d = { duePerf: startPerf + schedule.offsetMs(this.next) };
      this.next++;
      if (this.c.inFlight < this.phase.connections && this.backlog.length === 0) this.send(d);
      else this.backlog.push(d);
    }
    this.pump();
    if (this.next < this.total) {
      // setTimeout wakes about a millisecond late at best; the lateness is measured, not hidden.
      const wait = Math.max(0, startPerf + schedule.offsetMs(this.next) - performance.now());
      this.timer = setTimeout(() => this.tick(), wait);
    } else {
      // The schedule is over: what still waits for a connection is not sent.
      this.c.notSent += this.backlog.length;
      this.backlog.length = 0;
      this.settle();
    }
  }

  /** Sends what waits for a connection, oldest first, dropping what waited past the timeout. */
  private pump(): void {
    const now = performance.now();
    while (this.backlog.length > 0 && this.c.inFlight < this.phase.connections) {
      const d = this.backlog.shift()!;
      if (now - d.duePerf > this.phase.timeoutMs) {
        this.c.notSent++;
        continue;
      }
      this.send(d);
    }
  }

  private send(d: Due): void {
    const { c, phase } = this;
    const sentPerf = performance.now();
    const lateMs = sentPerf - d.duePerf;
    recordMs(this.lateness, lateMs);
    if (lateMs > LATE_AFTER_MS) c.late++;
    c.sent++;
    c.inFlight++;
    if (c.inFlight > c.peakInFlight) c.peakInFlight = c.inFlight;
    const which = this.prepared.next();
    const def = this.prepared.resolved[which]!;
    const body = def.body === undefined ? undefined : Buffer.from(def.body, 'utf8');
    let done = false;
    const end = (status: number | undefined, timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      this.live.delete(req);
      this.answered(d, which, status, timedOut);
    };
    const req = (this.https ? httpsRequest : httpRequest)(
      new URL(def.path, phase.url),
      { method: def.method, agent: this.agent, headers: nodeRequestHeaders(def, body) },
      (res) => {
        res.resume();
        res.on('end', () => end(res.statusCode ?? 0));
        res.on('error', () => end(undefined));
      },
    );
    this.live.add(req);
    req.on('socket', (s: Socket) => {
      if (!this.seenSockets.has(s)) {
        this.seenSockets.add(s);
        c.connectionsOpened++;
      }
    });
    const t = setTimeout(() => {
      end(undefined, true);
      req.destroy();
    }, phase.timeoutMs);
    req.on('error', () => end(undefined));
    req.end(body);
  }

  /** One request's end: an answer with its status, or an error (a timeout among them). */
  private answered(d: Due, which: number, status: number | undefined, timedOut: boolean): void {
    const { c } = this;
    c.inFlight--;
    if (status !== undefined) {
      // From the schedule, not the send: see runSteady's note.
      const latencyMs = performance.now() - d.duePerf;
      c.completed++;
      this.answeredBy[which]!++;
      this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
      if (status < 200 || status > 299) c.non2xx++;
      if (!statusExpected(this.prepared.resolved[which]!, status)) c.unexpected++;
      this.buckets.response(status, latencyMs);
    } else {
      c.errors++;
      if (timedOut) c.timeouts++;
      this.buckets.error(timedOut);
    }
    this.sinks.onProgress?.(c.completed + c.errors, this.total);
    this.pump();
    this.settle();
  }

  /** The phase's result, with warnings when the rate could not be kept. */
  summary(): PhaseLoadSummary {
    const { c, phase, sinks, total } = this;
    if (!sinks.signal.aborted && c.sent + c.notSent !== total) {
      sinks.onWarning(
        `steady ${phase.name}: ${total} requests scheduled, ${c.sent} sent and ${c.notSent} not sent (${total - c.sent - c.notSent} unaccounted for)`,
      );
    }
    if (c.notSent > 0 || c.late > 0) {
      sinks.onWarning(
        `steady ${phase.name}: ${c.late} of ${c.sent} requests sent more than ${LATE_AFTER_MS} ms late and ${c.notSent} not sent: the target or the connection cap (--connections ${phase.connections}) could not keep the rate`,
      );
    }
    const lateStats = secondStats(this.lateness);
    const steady = {
      scheduled: total,
      late: c.late,
      lateAfterMs: LATE_AFTER_MS,
      notSent: c.notSent,
      sendLateness: { p50: lateStats.p50 ?? 0, p99: lateStats.p99 ?? 0, max: lateStats.max ?? 0 },
      peakInFlight: c.peakInFlight,
      connectionsOpened: c.connectionsOpened,
    };
    this.lateness.destroy();
    const { completed, errors, timeouts, non2xx } = c;
    const counts = {
      requested: total,
      sent: completed + errors,
      completed,
      errors,
      timeouts,
      non2xx,
      statusCodes: this.statusCodes,
    };
    return finishPhaseSummary(phase.name, 'steady', counts, this.durationS, this.hist, {
      ...mixCounts(this.prepared, this.answeredBy, c.unexpected),
      steady,
    });
  }
}
