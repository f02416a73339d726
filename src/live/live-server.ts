import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { ProgressState } from '../console/progress.ts';
import { UsageError } from '../errors.ts';
import type { LoadSecond, PhaseRecord, RunEvent, RunFile, Sample } from '../rundir/schema.ts';
import { analysisWorkerSource, browserBundle } from '../report/browser-bundle.ts';
import type { AnalysisRequest } from './analysis-worker.ts';
import { DEFAULT_LIVE_HOST, type LiveOptions } from '../options/live-options.ts';
import { livePage } from './live-page.ts';
import type { RunObserver } from './observer.ts';
import type { LiveAnalysis, LiveEnd, LivePhase, LiveProgress, LiveRun, LiveState } from './protocol.ts';

/** The provisional analysis is recomputed at most this often, and only while a page is open. */
export const ANALYSIS_INTERVAL_MS = 5000;
/** A page that stops reading is dropped past this much unsent data; its browser reconnects and gets the history. */
const MAX_BUFFERED_BYTES = 16 * 2 ** 20;

interface Attached {
  run: RunFile;
  dir: string;
  now: () => number;
  plannedS?: number;
}

/**
 * The live view: a page and a server-sent-event stream on one loopback port for the length of
 * a run. With nobody watching, each record costs an array push; with a page open, one JSON
 * encoding per record, and the provisional analysis every ANALYSIS_INTERVAL_MS.
 */
export class LiveServer implements RunObserver {
  private readonly clients = new Set<ServerResponse>();
  private readonly samples: Sample[] = [];
  private readonly load: LoadSecond[] = [];
  private readonly events: RunEvent[] = [];
  private progress: LiveProgress | undefined;
  private analysis: LiveAnalysis | undefined;
  private analysedSamples = -1;
  private analysisTimer: NodeJS.Timeout | undefined;
  private worker: Worker | undefined;
  private analysing = false;
  /** How many of each record the worker has been sent. */
  private sent = { samples: 0, load: 0, events: 0 };
  private end: LiveEnd | undefined;
  private attached: Attached | undefined;
  private found: LivePhase[] | undefined;
  // Not 0: performance.now() counts from the process start, so a run that reports its first
  // progress within 500 ms of starting would have it dropped.
  private lastProgressSent = Number.NEGATIVE_INFINITY;
  /** How many analyses ran (for the tests: none while nobody watches). */
  analyses = 0;

  private constructor(
    private readonly server: Server,
    private readonly page: string,
    private readonly workerSource: string,
    readonly url: string,
    private readonly allowedHosts: Set<string> | undefined,
  ) {}

  static async start(options: LiveOptions): Promise<LiveServer> {
    const [bundle, workerSource] = await Promise.all([browserBundle(), analysisWorkerSource()]);
    const page = livePage(bundle);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new UsageError(
                `--live: port ${options.port} on ${options.host} is in use; give another port, or --live without one to let the system pick`,
              )
            : new UsageError(
                `--live${options.host === DEFAULT_LIVE_HOST ? '' : '-host'}: cannot listen on ${options.host}:${options.port} (${err.code ?? err.message})`,
              ),
        );
      };
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const { port, address } = server.address() as AddressInfo;
    const hostPart = address.includes(':') ? `[${address}]` : address;
    const shown = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : hostPart;
    // Loopback only: a page from another site must not read the run through the browser by
    // pointing a name at 127.0.0.1 (DNS rebinding), so the Host header has to be one of ours.
    const allowed =
      options.host === DEFAULT_LIVE_HOST || options.host === '::1' || options.host === 'localhost'
        ? new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
        : undefined;
    const live = new LiveServer(server, page, workerSource, `http://${shown}:${port}/`, allowed);
    server.on('request', (req, res) => live.handle(req, res));
    return live;
  }

  /** The run to show; until then the page answers 503. `run` is read as it changes. */
  attach(a: Attached): void {
    this.attached = a;
  }

  /** A watched run's phases as found so far: sent when they differ from the last ones sent. */
  showFoundPhases(phases: readonly PhaseRecord[]): void {
    const found = phases.map(livePhase);
    if (JSON.stringify(found) === JSON.stringify(this.found)) return;
    this.found = found;
    this.runChanged();
  }

  /** The run's phases or status changed. */
  runChanged(): void {
    if (this.attached) this.broadcast('run', this.liveRun(this.attached));
  }

  onSample(s: Sample): void {
    this.samples.push(s);
    this.broadcast('sample', s);
  }

  onLoadSecond(l: LoadSecond): void {
    this.load.push(l);
    this.broadcast('load', l);
  }

  onEvent(e: RunEvent): void {
    this.events.push(e);
    this.broadcast('event', e);
    // Phase times are in run.json, which the run updates beside these events.
    if (e.type === 'phase-start' || e.type === 'phase-end' || e.type === 'run-end') this.runChanged();
  }

  onProgress(p: ProgressState): void {
    if (!this.attached) return;
    this.progress = { ...p, t: round3(this.attached.now()) };
    if (this.clients.size === 0) return;
    // The run draws its progress up to 5 times a second; a page needs no more than 2.
    const now = performance.now();
    if (now - this.lastProgressSent < 500 && p.value !== p.total) return;
    this.lastProgressSent = now;
    this.broadcast('progress', this.progress);
  }

  /** The run is over: tells the pages, then closes every connection and the port. */
  async finish(end: LiveEnd): Promise<void> {
    this.end = end;
    this.stopAnalysis();
    await this.worker?.terminate();
    this.worker = undefined;
    this.broadcast('end', end);
    for (const res of this.clients) res.end();
    this.clients.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  get watchers(): number {
    return this.clients.size;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.allowedHosts && !this.allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('leakbench live view: wrong Host header\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(this.page);
    } else if (path === '/favicon.ico') {
      // Browsers ask for one; a 404 would be a console error on every page load.
      res.writeHead(204).end();
    } else if (!this.attached) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('the run has not started yet\n');
    } else if (path === '/events') {
      this.subscribe(res);
    } else if (path === '/state') {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(this.state(this.attached)));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private subscribe(res: ServerResponse): void {
    const a = this.attached!;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    // A browser that connects late or reconnects starts from everything so far.
    if (this.analysis === undefined || a.now() - this.analysis.t >= ANALYSIS_INTERVAL_MS / 1000) this.requestAnalysis();
    res.write(`retry: 1000\n${message('history', this.state(a))}`);
    if (this.end) {
      res.end();
      return;
    }
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopAnalysis();
    });
    this.analysisTimer ??= setInterval(() => this.requestAnalysis(), ANALYSIS_INTERVAL_MS).unref();
  }

  private stopAnalysis(): void {
    if (this.analysisTimer) clearInterval(this.analysisTimer);
    this.analysisTimer = undefined;
  }

  /**
   * Sends the records the worker has not seen yet and asks for the analysis; the answer is
   * broadcast when it comes. One at a time: a slow fit is skipped over, never queued.
   */
  private requestAnalysis(): void {
    const a = this.attached;
    if (!a || this.end || this.analysing || this.samples.length === this.analysedSamples) return;
    if (!this.worker) {
      this.worker = new Worker(this.workerSource, { eval: true });
      this.worker.unref();
      this.worker.on('message', (result: LiveAnalysis) => {
        this.analysing = false;
        this.analysis = result;
        this.analyses++;
        this.broadcast('analysis', result);
      });
      this.worker.on('error', (err) => {
        // The view must never end the run: a broken analysis is shown, not thrown.
        this.analysing = false;
        this.analysis = {
          t: round3(a.now()),
          samples: this.samples.length,
          verdict: { kind: 'not-enough-data', summary: `analysis failed: ${err.message}` },
          rates: [],
          tookMs: 0,
        };
        this.broadcast('analysis', this.analysis);
        this.worker = undefined;
        this.sent = { samples: 0, load: 0, events: 0 };
      });
    }
    const req: AnalysisRequest = {
      run: a.run,
      samples: this.samples.slice(this.sent.samples),
      load: this.load.slice(this.sent.load),
      events: this.events.slice(this.sent.events),
      now: round3(a.now()),
    };
    this.sent = { samples: this.samples.length, load: this.load.length, events: this.events.length };
    this.analysedSamples = this.samples.length;
    this.analysing = true;
    this.worker.postMessage(req);
  }

  private broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = message(event, data);
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
      else res.write(text);
    }
  }

  private liveRun(a: Attached): LiveRun {
    const r = a.run;
    return {
      scenario: r.scenario,
      target: r.target.label,
      status: this.end?.status ?? r.status,
      startedAtMs: r.startedAtMs,
      phases: r.phases.map(livePhase),
      // At the end run.json holds the phases found: no provisional ones beside them.
      ...(this.found && !this.end && { found: this.found }),
      ...(a.plannedS !== undefined && { plannedS: a.plannedS }),
      dir: a.dir,
    };
  }

  private state(a: Attached): LiveState {
    return {
      run: this.liveRun(a),
      samples: this.samples,
      load: this.load,
      events: this.events,
      ...(this.progress && { progress: this.progress }),
      ...(this.analysis && { analysis: this.analysis }),
      ...(this.end && { end: this.end }),
      now: round3(a.now()),
    };
  }
}

function message(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function livePhase(p: PhaseRecord): LivePhase {
  return {
    name: p.name,
    kind: p.kind,
    ...(p.startT !== undefined && { startT: p.startT }),
    ...(p.endT !== undefined && { endT: p.endT }),
  };
}
