import { errorText } from '../errors.ts';
import { finishPhaseSummary, mixCounts } from './phase-summary.ts';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { LoadSecond, PhaseLoadSummary, Probe } from '../rundir/schema.ts';
import type { RunClock } from './clock.ts';
import { newLatencyHistogram, recordMs } from './latency.ts';
import { pace, probeCount } from './pacer.ts';
import { SecondBuckets } from './second-buckets.ts';
import { nodeRequestHeaders, prepareRequests } from './request-bytes.ts';
import { statusExpected, type RequestDef, type RequestMix } from '../options/request-def.ts';

export interface IdlePhase {
  name: string;
  url: URL;
  rate: number;
  durationMs: number;
  timeoutMs: number;
  /** What to send (default: GET of the URL's path); see request-def.ts. */
  mix?: RequestMix;
}

export interface IdleSinks {
  clock: RunClock;
  signal: AbortSignal;
  onProbe(p: Probe): void;
  onSecond(s: LoadSecond): void;
}

interface ProbeOutcome {
  status?: number;
  /** Bytes of the response's body. */
  bytes?: number;
  latencyMs?: number;
  error?: string;
  timedOut: boolean;
}

/**
 * One kubelet-style probe: a fresh TCP connection (no agent, Connection: close), the whole
 * exchange bounded by the timeout, as `timeoutSeconds: 1` bounds an httpGet probe.
 */
function probe(base: URL, r: RequestDef, timeoutMs: number): Promise<ProbeOutcome> {
  const url = new URL(r.path, base);
  // A kubelet's own headers, unless the request names its own; Connection: close always.
  const own = new Set(r.headers.map(([n]) => n.toLowerCase()));
  const body = r.body === undefined ? undefined : Buffer.from(r.body, 'utf8');
  const headers: Record<string, string | string[]> = {
    ...(!own.has('user-agent') && { 'User-Agent': 'kube-probe/1.27 (leakbench)' }),
    ...(!own.has('accept') && { Accept: '*/*' }),
    ...nodeRequestHeaders(r, body),
    Connection: 'close',
  };
  const sent = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: r.method, agent: false, headers, rejectUnauthorized: false },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () =>
          finish({ status: res.statusCode ?? 0, bytes, latencyMs: performance.now() - sent, timedOut: false }),
        );
        res.on('error', (err) => finish({ error: errorText(err), timedOut: false }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `timeout after ${timeoutMs} ms`, timedOut: true });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish({ error: errorText(err), timedOut: false }));
    req.end(body);
  });
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** Probe times to the microsecond: pacing is judged at a scale well below a millisecond. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export async function runIdle(phase: IdlePhase, sinks: IdleSinks): Promise<PhaseLoadSummary> {
  const count = probeCount(phase.rate, phase.durationMs);
  const hist = newLatencyHistogram();
  const pacing: number[] = [];
  const statusCodes: Record<string, number> = {};
  let completed = 0,
    errors = 0,
    timeouts = 0,
    non2xx = 0;
  const buckets = new SecondBuckets(phase.name, sinks.clock.now, sinks.onSecond);
  const inFlight = new Set<Promise<void>>();
  const prepared = prepareRequests(phase.mix, phase.url);
  const answeredBy = new Float64Array(prepared.resolved.length);
  let unexpected = 0;
  // Perf-clock origin of the run, so scheduled times can be written as run seconds.
  const originPerf = performance.now() - sinks.clock.now() * 1000;
  const startT = sinks.clock.now();
  buckets.start();

  const sent = await pace(
    { rate: phase.rate, count, startPerfMs: performance.now() + 1, signal: sinks.signal },
    (seq, duePerf) => {
      const sentPerf = performance.now();
      pacing.push(Math.abs(sentPerf - duePerf));
      const which = prepared.next();
      const def = prepared.resolved[which]!;
      const p = probe(phase.url, def, phase.timeoutMs).then((o) => {
        if (o.status !== undefined) {
          completed++;
          answeredBy[which]!++;
          if (!statusExpected(def, o.status)) unexpected++;
          statusCodes[o.status] = (statusCodes[o.status] ?? 0) + 1;
          if (o.status < 200 || o.status > 299) non2xx++;
          recordMs(hist, o.latencyMs!);
          buckets.response(o.status, o.latencyMs!);
        } else {
          errors++;
          if (o.timedOut) timeouts++;
          buckets.error(o.timedOut);
        }
        sinks.onProbe({
          phase: phase.name,
          seq,
          scheduledT: round6((duePerf - originPerf) / 1000),
          sentT: round6((sentPerf - originPerf) / 1000),
          ...(o.status !== undefined && { status: o.status }),
          ...(o.bytes !== undefined && { bytes: o.bytes }),
          ...(o.latencyMs !== undefined && { latencyMs: round3(o.latencyMs) }),
          ...(o.error !== undefined && { error: o.error }),
        });
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
  );
  // Every probe ends within its timeout, so this wait is bounded.
  await Promise.all(inFlight);
  buckets.stop();
  const durationS = sinks.clock.now() - startT;
  pacing.sort((a, b) => a - b);
  const pick = (q: number) => round3(pacing[Math.min(pacing.length - 1, Math.floor(q * pacing.length))] ?? 0);
  const pacingSummary =
    pacing.length > 0 ? { pacing: { p50: pick(0.5), p99: pick(0.99), max: round3(pacing.at(-1)!) } } : {};
  return finishPhaseSummary(
    phase.name,
    'idle',
    { requested: count, sent, completed, errors, timeouts, non2xx, statusCodes },
    durationS,
    hist,
    { ...pacingSummary, ...mixCounts(prepared, answeredBy, unexpected) },
  );
}
