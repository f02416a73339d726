import { performance } from 'node:perf_hooks';
import { cycle, statusExpected } from '../options/request-def.ts';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { Conn, type ConnOwner } from './burst-conn.ts';
import { phaseMix, PROGRESS_EVERY, type BurstPhase, type BurstSinks } from './burst-phase.ts';
import { ErrorReasons, warnCounts } from './burst-warnings.ts';
import { newLatencyHistogram } from './latency.ts';
import { finishPhaseSummary, mixCounts } from './phase-summary.ts';
import { prepareRequests, type PreparedRequests } from './request-bytes.ts';
import { SecondBuckets } from './second-buckets.ts';

/** One read buffer for every connection: reads are handled one at a time on this thread. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Methods sent again after a kept-alive close before any answer (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Where a shard of a threaded burst sends what it saw, instead of counting it itself. */
export interface ShardLink {
  /** Requests claimed by all threads together (index 0), shared so the total is exact. */
  claimed: Int32Array;
  /** `requestIndex`: which of the phase's requests (its mix) was answered. */
  response(status: number, latencyMs: number, requestIndex: number): void;
  error(message: string, timedOut: boolean): void;
}

export class BurstEngine implements ConnOwner {
  /** The prepared requests, one shared buffer each, and the order they go out in. */
  private readonly prepared: PreparedRequests;
  /** Answers per definition, and answers whose status the definition did not expect. */
  readonly answeredBy: Float64Array;
  unexpected = 0;
  /**
   * One cycle of the order: the k-th request claimed (across all threads) is order[k % length],
   * so the shares of a weighted mix and the places of a sequence are exact however many
   * connections and threads send them.
   */
  private readonly order: number[];
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly total = newLatencyHistogram();
  private readonly buckets: SecondBuckets;
  /** Responses per status code; a dictionary would cost a hash per response. */
  private readonly statusCounts = new Float64Array(1000);
  private readonly conns = new Set<Conn>();
  private claimed = 0;
  /** A shard found the shared count used up. */
  private exhausted = false;
  completed = 0;
  errors = 0;
  timeouts = 0;
  non2xx = 0;
  /** Requests sent a second time after a kept-alive connection closed before any answer. */
  resent = 0;
  private startT = 0;
  private lastDoneT = 0;
  private stopped = false;
  private finish: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly reasons = new ErrorReasons();
  /** Connections whose next request waits for the end of this round of reads. */
  private readonly toSend: Conn[] = [];
  private flushScheduled = false;
  private readonly flush = () => {
    this.flushScheduled = false;
    const n = this.toSend.length;
    for (let i = 0; i < n; i++) this.toSend[i]!.sendNow();
    this.toSend.length = 0;
  };

  constructor(
    readonly phase: BurstPhase,
    private readonly sinks: BurstSinks,
    private readonly batchWrites: boolean,
    private readonly shard?: ShardLink,
  ) {
    this.prepared = prepareRequests(phaseMix(phase), phase.url);
    this.order = cycle(this.prepared.mix);
    this.answeredBy = new Float64Array(this.prepared.buffers.length);
    // Per-second histograms are merged into the phase's at each flush, so a response is recorded once.
    this.buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond, this.total);
  }

  /** For a threaded burst's main thread, which counts what the shards send it. */
  startTally(): void {
    this.startT = this.lastDoneT = this.sinks.clock.now();
    this.buckets.start();
  }

  endTally(): PhaseLoadSummary {
    this.buckets.stop();
    return this.summary();
  }

  async run(): Promise<PhaseLoadSummary> {
    const { phase, sinks } = this;
    this.startT = this.lastDoneT = sinks.clock.now();
    if (!this.shard) this.buckets.start();
    const onAbort = () => this.stop();
    sinks.signal.addEventListener('abort', onAbort, { once: true });
    // A timed-out request is found by a sweep rather than a timer per request; the sweep's
    // period bounds how late a timeout is noticed.
    const sweepMs = Math.min(1000, Math.max(10, Math.floor(phase.timeoutMs / 10)));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    try {
      await new Promise<void>((resolve) => {
        this.finish = resolve;
        if (sinks.signal.aborted) return this.stop();
        const n = Math.min(phase.connections, phase.requests);
        for (let i = 0; i < n; i++) this.open();
        this.checkDone();
      });
    } finally {
      sinks.signal.removeEventListener('abort', onAbort);
      clearInterval(this.sweeper);
      for (const c of this.conns) c.destroy();
      this.conns.clear();
      this.buckets.stop();
    }
    return this.summary();
  }

  /**
   * Claims one request if any are left; the caller sends it or opens a connection for it.
   * Returns which of the phase's requests it is (an index into the mix), or -1.
   */
  claim(): number {
    if (this.stopped || this.exhausted || this.claimed >= this.phase.requests) return -1;
    let k = this.claimed;
    if (this.shard) {
      k = Atomics.add(this.shard.claimed, 0, 1);
      if (k >= this.phase.requests) {
        this.exhausted = true;
        return -1;
      }
    }
    this.claimed++;
    return this.order[k % this.order.length]!;
  }

  /** Opens a connection for a newly claimed request; with none left to claim, opens nothing. */
  open(): void {
    const i = this.claim();
    if (i < 0) return;
    const conn = new Conn(this, i);
    this.conns.add(conn);
  }

  /**
   * Queues a connection's next request until every answer this round of I/O brought in has
   * been read (setImmediate runs after the poll phase), then writes them all, as wrk does.
   * Writing each request as soon as its answer is read wakes a server goroutine per request;
   * writing them together lets the target's netpoller pick up many at once. Measured on
   * 2 cores: about 10% less target CPU per request (bench/results).
   */
  queueSend(conn: Conn): void {
    if (!this.batchWrites) return conn.sendNow();
    this.toSend.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Sends an already-claimed request again, on a connection of its own. */
  resend(requestIndex: number): void {
    this.resent++;
    if (this.stopped) return;
    this.conns.add(new Conn(this, requestIndex));
  }

  /** Whether a request may be sent again after a kept-alive close: idempotent methods only. */
  mayResend(requestIndex: number): boolean {
    return IDEMPOTENT.has(this.prepared.resolved[requestIndex]!.method);
  }

  /** HEAD answers announce a body they never send: the parser must not wait for it. */
  isHead(requestIndex: number): boolean {
    return this.prepared.resolved[requestIndex]!.method === 'HEAD';
  }

  forget(conn: Conn): void {
    this.conns.delete(conn);
  }

  requestBuffer(i: number): Buffer {
    return this.prepared.buffers[i]!;
  }

  get readBuf(): Buffer {
    return this.readBuffer;
  }

  response(status: number, latencyMs: number, requestIndex: number): void {
    this.completed++;
    if (this.shard) return this.shard.response(status, latencyMs, requestIndex);
    this.answeredBy[requestIndex]!++;
    if (!statusExpected(this.prepared.resolved[requestIndex]!, status)) this.unexpected++;
    this.statusCounts[status]!++;
    if (status < 200 || status > 299) this.non2xx++;
    this.buckets.response(status, latencyMs);
    this.ended();
  }

  error(message: string, timedOut: boolean): void {
    this.errors++;
    if (timedOut) this.timeouts++;
    if (this.shard) return this.shard.error(message, timedOut);
    this.buckets.error(timedOut);
    this.reasons.add(message);
    this.ended();
  }

  private ended(): void {
    const done = this.completed + this.errors;
    if ((done & (PROGRESS_EVERY - 1)) === 0) {
      this.lastDoneT = this.sinks.clock.now();
      this.sinks.onProgress?.(done, this.phase.requests);
    }
    if (done === this.phase.requests) {
      this.lastDoneT = this.sinks.clock.now();
      if ((done & (PROGRESS_EVERY - 1)) !== 0) this.sinks.onProgress?.(done, this.phase.requests);
    }
  }

  /** Resolves once nothing is claimed and unanswered and nothing is left to claim. */
  checkDone(): void {
    if (this.completed + this.errors < this.claimed) return;
    if (!this.stopped && !this.exhausted && this.claimed < this.phase.requests) return;
    this.finish?.();
    this.finish = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.lastDoneT = this.sinks.clock.now();
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    // Requests cut short by the abort are neither answers nor errors; the summary's `sent` is
    // what ended, and no warning is given for an interrupted phase.
    this.finish?.();
    this.finish = undefined;
  }

  private sweep(): void {
    const now = performance.now();
    const limit = this.phase.timeoutMs;
    for (const c of this.conns) c.checkTimeout(now, limit);
  }

  private summary(): PhaseLoadSummary {
    const { phase, sinks } = this;
    const sent = this.completed + this.errors;
    const durationS = (sent > 0 ? this.lastDoneT : sinks.clock.now()) - this.startT;
    if (this.resent > 0) {
      sinks.onWarning(
        `burst ${phase.name}: ${this.resent} requests were sent again on a new connection because the server closed a kept-alive connection before answering them ` +
          '(an idle timeout crossing the request; retried once, as HTTP clients do for idempotent methods such as GET and HEAD); each is counted once, by how its second attempt ended',
      );
    }
    // An interrupted phase ends short by design: only its errors are worth a word.
    warnCounts(
      phase.name,
      sinks.signal.aborted ? sent : phase.requests,
      this.completed,
      this.errors,
      this.reasons,
      sinks.onWarning,
    );
    const statusCodes: Record<string, number> = {};
    this.statusCounts.forEach((n, code) => {
      if (n > 0) statusCodes[code] = n;
    });
    const counts = {
      requested: phase.requests,
      sent,
      completed: this.completed,
      errors: this.errors,
      timeouts: this.timeouts,
      non2xx: this.non2xx,
      statusCodes,
    };
    return finishPhaseSummary(
      phase.name,
      'burst',
      counts,
      durationS,
      this.total,
      mixCounts(this.prepared, this.answeredBy, this.unexpected),
    );
  }
}
