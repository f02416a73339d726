import { finishPhaseSummary, mixCounts } from './phase-summary.ts';
import { connect as netConnect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import type { LoadSecond, PhaseLoadSummary } from '../rundir/schema.ts';
import type { RunClock } from './clock.ts';
import { ResponseParser, type ResponseSink } from './http1-parser.ts';
import { newLatencyHistogram } from './latency.ts';
import { buildRequestBytes, prepareRequests, type PreparedRequests } from './request-bytes.ts';
import { cycle, simpleMix, statusExpected, type RequestMix } from '../options/request-def.ts';
import { SecondBuckets } from './second-buckets.ts';
import { ErrorReasons, warnCounts } from './burst-warnings.ts';

export interface BurstPhase {
  name: string;
  url: URL;
  requests: number;
  connections: number;
  timeoutMs: number;
  /** GET unless set; HEAD is for servers whose GET answers are too large to load-test with. */
  method?: BurstMethod;
  /** What to send (default: GET of the URL's path); see request-def.ts. */
  mix?: RequestMix;
}

export type BurstMethod = 'GET' | 'HEAD';

export interface BurstSinks {
  clock: RunClock;
  signal: AbortSignal;
  onSecond(s: LoadSecond): void;
  /**
   * Running totals for the progress line: called after every PROGRESS_EVERY-th request ends
   * and once at the end, so a consumer that draws a few times a second is never starved.
   */
  onProgress?(done: number, requested: number): void;
  onWarning(message: string): void;
}

/** A power of two, so the check per response is a mask, and rare enough to cost nothing. */
export const PROGRESS_EVERY = 1024;

/** One read buffer for every connection: reads are handled one at a time on this thread. */
const READ_BUFFER_BYTES = 64 * 1024;

/** The request, written once per request from one shared buffer. */
export function requestBytes(url: URL, method: BurstMethod = 'GET'): Buffer {
  return buildRequestBytes(phaseMix({ url, method }).requests[0]!, url.host);
}

/** What a phase sends: its mix, else one request of its method (GET by default) to the URL's path. */
export function phaseMix(phase: Pick<BurstPhase, 'url' | 'method' | 'mix'>): RequestMix {
  if (phase.mix) return phase.mix;
  const mix = simpleMix((phase.url.pathname || '/') + phase.url.search);
  if (!phase.method || phase.method === 'GET') return mix;
  const r = mix.requests[0]!;
  return { ...mix, requests: [{ ...r, name: `${phase.method} ${r.path}`, method: phase.method }] };
}

/** Methods sent again after a kept-alive close before any answer (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const timeoutText = (ms: number) => `request timed out after ${ms} ms`;

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

/** Knobs for the benchmark, which measures what each is worth; the pack uses the defaults. */
export interface BurstTuning {
  /** Write the next requests together after each round of reads (default) or one by one. */
  batchWrites?: boolean;
  /** Threads that hold connections (default: see defaultThreads). */
  threads?: number;
}

/**
 * Two threads for a large burst on a machine with two or more cores, one otherwise. wrk runs
 * two threads too: on a busy machine the scheduler shares the CPU out per thread. In
 * bench/results/2026-11-29.md (a shared 2-core machine) two threads reached 0.92 of wrk's rate
 * and one 0.87; in other runs that day 0.74 against 0.62, and once 0.93 against 1.04. Two take
 * 10-15% more CPU per request. A small burst is over before a second thread would start.
 */
export function defaultThreads(phase: BurstPhase): number {
  return phase.requests >= 20_000 && phase.connections >= 2 && availableParallelism() >= 2 ? 2 : 1;
}

/** Where a shard of a threaded burst sends what it saw, instead of counting it itself. */
export interface ShardLink {
  /** Requests claimed by all threads together (index 0), shared so the total is exact. */
  claimed: Int32Array;
  /** `requestIndex`: which of the phase's requests (its mix) was answered. */
  response(status: number, latencyMs: number, requestIndex: number): void;
  error(message: string, timedOut: boolean): void;
}

export class BurstEngine {
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

/**
 * One keep-alive connection. It holds at most one request at a time: `sentAt` is set while a
 * request is out (or, while connecting, the time the connection attempt for it began).
 */
class Conn implements ResponseSink {
  private readonly socket: Socket;
  private readonly parser: ResponseParser;
  /** A claimed request is waiting for its answer (or for the connection to open). */
  private pending = true;
  private connected = false;
  private sentAt: number;
  private dead = false;
  /** Responses read on this connection: a request on a fresh one is never sent again. */
  private served = 0;

  /** `requestIndex`: which of the phase's requests is out (or waits for the connection). */
  constructor(
    private readonly engine: BurstEngine,
    private requestIndex: number,
  ) {
    this.parser = new ResponseParser(this, engine.isHead(requestIndex));
    const url = engine.phase.url;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.sentAt = performance.now();
    if (url.protocol === 'https:') {
      this.socket = tlsConnect(
        { host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: false },
        () => this.onConnect(),
      );
      this.socket.on('data', (b: Buffer) => this.onData(b, b.length));
    } else {
      // `onread` hands each read to us in a reused buffer, skipping the Readable stream and a
      // Buffer per read: the cheapest way Node offers to take bytes off a socket.
      this.socket = netConnect(
        { host, port, noDelay: true, onread: { buffer: engine.readBuf, callback: (n, b) => this.onData(b, n) } },
        () => this.onConnect(),
      );
    }
    this.socket.on('error', (err: Error) =>
      this.fail(errorMessage(err), false, CLOSED_CODES.has((err as NodeJS.ErrnoException).code ?? '')),
    );
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.fail(this.closedText(), false, true));
  }

  private onConnect(): void {
    this.connected = true;
    this.socket.setNoDelay(true);
    this.sendNow();
  }

  sendNow(): void {
    if (this.dead) return;
    this.sentAt = performance.now();
    this.parser.headRequest = this.engine.isHead(this.requestIndex);
    this.socket.write(this.engine.requestBuffer(this.requestIndex));
  }

  private onData(b: Uint8Array, n: number): boolean {
    if (this.dead) return false;
    if (!this.pending) {
      this.fail('bytes from the server with no request outstanding', false);
      return false;
    }
    try {
      const used = this.parser.execute(b, 0, n);
      // More bytes than one answer: they cannot belong to a request not yet written.
      if (used < n) this.fail('the server sent more than one response to one request', false);
    } catch (err) {
      this.fail(`bad response: ${(err as Error).message}`, false);
    }
    // false from an onread callback pauses the socket; only a dead connection wants that.
    return !this.dead;
  }

  onResponse(status: number, close: boolean): void {
    const latencyMs = performance.now() - this.sentAt;
    let next: number;
    this.pending = false;
    this.served++;
    this.engine.response(status, latencyMs, this.requestIndex);
    if (close) {
      this.retire();
      this.engine.open();
    } else if ((next = this.engine.claim()) >= 0) {
      this.requestIndex = next;
      this.pending = true;
      this.engine.queueSend(this);
    } else {
      this.retire();
    }
    this.engine.checkDone();
  }

  private onEnd(): void {
    if (this.dead) return;
    // A response that runs until the connection closes ends here.
    if (this.pending && this.parser.end()) return;
    this.fail(this.closedText(), false, true);
  }

  private closedText(): string {
    return this.parser.midResponse
      ? 'the server closed the connection mid-response'
      : 'the server closed the connection before answering';
  }

  checkTimeout(now: number, limitMs: number): void {
    if (this.pending && !this.dead && now - this.sentAt >= limitMs) {
      this.fail(this.connected ? timeoutText(limitMs) : `connect timed out after ${limitMs} ms`, true);
    }
  }

  /**
   * Ends the request in flight as an error, drops the connection and opens another; or, if the
   * server closed a kept-alive connection before any byte of the answer, sends it again.
   */
  private fail(message: string, timedOut: boolean, closed = false): void {
    if (this.dead) return;
    const hadRequest = this.pending;
    const resend =
      closed && hadRequest && this.served > 0 && !this.parser.midResponse && this.engine.mayResend(this.requestIndex);
    this.retire();
    if (!hadRequest) return;
    if (resend) return this.engine.resend(this.requestIndex);
    this.engine.error(message, timedOut);
    this.engine.open();
    this.engine.checkDone();
  }

  private retire(): void {
    this.dead = true;
    this.pending = false;
    this.engine.forget(this);
    this.socket.destroy();
  }

  destroy(): void {
    this.dead = true;
    this.pending = false;
    this.socket.destroy();
  }
}

/** Socket errors that mean the server closed or reset the connection. */
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE']);

function errorMessage(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
