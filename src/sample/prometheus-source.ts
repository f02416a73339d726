import { PrometheusDriver, type RangeVector } from 'prometheus-query';
import { LeakbenchError } from '../errors.ts';
import type { PrometheusOptions, PrometheusQueries } from '../options/prometheus-options.ts';
import { FIGURES, type Sample, type SampleFigure } from '../rundir/schema.ts';

/**
 * Memory figures from a Prometheus server, for targets whose /proc the pack cannot see (a pod
 * in Kubernetes). The pack asks once, at the end of the run, for the run's whole time range
 * (query_range), and writes the answer as samples on the run's own time axis, so the report
 * can set them beside the /proc and /metrics figures of the same run.
 */

export interface PrometheusRangeRequest {
  /** The server's address, e.g. http://prometheus.monitoring:9090 (the API is under /api/v1). */
  baseUrl: string;
  queries: PrometheusQueries;
  /** Epoch ms of t = 0 of the run: sample times are (timestamp - startedAtMs) / 1000. */
  startedAtMs: number;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Per request. */
  timeoutMs?: number;
  /** Figures whose query may find no series without a warning. */
  optional?: readonly SampleFigure[];
}

export interface PrometheusRangeResult {
  /** One per evaluation step that had at least one figure, in time order. */
  samples: Sample[];
  /** The step used: `stepMs`, or larger when the range would exceed Prometheus's points limit. */
  stepMs: number;
  /** Per-figure problems that did not stop the others: a bad query, no series, several series. */
  warnings: string[];
}

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;

/** Reads every query over [startMs, endMs] and merges the answers into samples. */
export async function queryPrometheusRange(req: PrometheusRangeRequest): Promise<PrometheusRangeResult> {
  const warnings: string[] = [];
  const driver = new PrometheusDriver({
    endpoint: req.baseUrl.replace(/\/+$/, ''),
    baseURL: '/api/v1/',
    timeout: req.timeoutMs ?? 10_000,
    warningHook: (w: unknown) => {
      warnings.push(`prometheus ${req.baseUrl}: the server warned: ${Array.isArray(w) ? w.join('; ') : String(w)}`);
    },
  });
  const spanMs = Math.max(0, req.endMs - req.startMs);
  const stepMs = Math.max(req.stepMs, Math.ceil(spanMs / (MAX_POINTS - 1)));
  const entries = Object.entries(req.queries) as [SampleFigure, string][];
  type Answer = { figure: SampleFigure; query: string } & ({ series: RangeVector[] } | { error: PrometheusFailure });
  const answers = await Promise.all(
    entries.map(async ([figure, query]): Promise<Answer> => {
      try {
        const result = await driver.rangeQuery(query, req.startMs, req.endMs, stepMs / 1000);
        return { figure, query, series: result.result as RangeVector[] };
      } catch (error) {
        return { figure, query, error: describePrometheusError(error) };
      }
    }),
  );

  const failed = answers.filter((a): a is Extract<Answer, { error: PrometheusFailure }> => 'error' in a);
  if (answers.length > 0 && failed.length === answers.length && failed.every((a) => a.error.network)) {
    // Nothing answered at all: one message for the server, not one per figure.
    throw new LeakbenchError(`prometheus ${req.baseUrl}: ${failed[0]!.error.message}`);
  }

  const byTs = new Map<number, Sample>();
  for (const a of answers) {
    const name = labelOf(a.figure);
    if ('error' in a) {
      warnings.push(`prometheus ${req.baseUrl}: ${name} query ${a.query} failed: ${a.error.message}`);
      continue;
    }
    if (a.series.length === 0) {
      if (req.optional?.includes(a.figure)) continue;
      warnings.push(
        `prometheus ${req.baseUrl}: ${name} query ${a.query} returned no series over the run (check the labels)`,
      );
      continue;
    }
    if (a.series.length > 1) {
      // Adding up or picking one would mix processes silently; say which series there were.
      const labels = a.series
        .slice(0, 3)
        .map((s) => JSON.stringify(s.metric.labels))
        .join(', ');
      warnings.push(
        `prometheus ${req.baseUrl}: ${name} query ${a.query} returned ${a.series.length} series (${labels}${a.series.length > 3 ? ', …' : ''}); ` +
          'narrow it to one with --prometheus-selector or --prometheus-query, or wrap it in sum()',
      );
      continue;
    }
    for (const point of a.series[0]!.values as { time: Date; value: number }[]) {
      // A NaN or infinite value is no measurement: leave the figure out, never write 0.
      if (!Number.isFinite(point.value)) continue;
      // query_range evaluates at exactly start + k * step; the client's float seconds → Date can
      // land a millisecond off, so snap back to the grid (figures of one step then share a sample).
      const ts = req.startMs + Math.round((point.time.getTime() - req.startMs) / stepMs) * stepMs;
      let sample = byTs.get(ts);
      if (!sample) {
        sample = { t: Math.round(ts - req.startedAtMs) / 1000 };
        byTs.set(ts, sample);
      }
      sample[a.figure] = point.value;
    }
  }
  const samples = [...byTs.values()].sort((x, y) => x.t - y.t);
  return { samples, stepMs, warnings };
}

interface PrometheusFailure {
  message: string;
  /** The server was not reached (refused, timed out, no such host), as opposed to a refused query. */
  network: boolean;
}

/** prometheus-query rejects with plain objects ({ errorType, error, httpStatus }), not Errors. */
export function describePrometheusError(error: unknown): PrometheusFailure {
  if (typeof error === 'object' && error !== null && 'errorType' in error) {
    const e = error as { errorType?: unknown; error?: unknown; httpStatus?: unknown; original?: unknown };
    // Its own rejection of a non-API answer passes through its catch again and comes out as a
    // network error wrapping the real one.
    if (typeof e.original === 'object' && e.original !== null && 'errorType' in e.original)
      return describePrometheusError(e.original);
    const text = typeof e.error === 'string' && e.error !== '' ? e.error : String(e.errorType);
    if (e.errorType === 'http_error') return { message: `HTTP ${String(e.httpStatus)}: ${text}`, network: false };
    if (e.errorType === 'timeout_error') return { message: `no answer (${text})`, network: true };
    if (e.errorType === 'client_error')
      return { message: 'the answer is not Prometheus API JSON (is the URL a Prometheus server?)', network: false };
    return { message: text, network: true };
  }
  return { message: error instanceof Error ? error.message : String(error), network: false };
}

function labelOf(figure: SampleFigure): string {
  return FIGURES.find((f) => f.key === figure)?.label ?? figure;
}

/**
 * The end-of-run step: read the range and turn every problem into a warning, because an
 * unreachable monitoring server must not cost the user the run's own data. Returns the samples
 * (for prometheus.ndjson), or undefined when the server gave nothing at all.
 */
export async function collectPrometheus(
  options: PrometheusOptions,
  run: { startedAtMs: number; endMs: number },
  warn: (message: string) => void,
  log: (line: string) => void,
): Promise<Sample[] | undefined> {
  let result: PrometheusRangeResult;
  try {
    result = await queryPrometheusRange({
      baseUrl: options.url.href,
      queries: options.queries,
      startedAtMs: run.startedAtMs,
      startMs: run.startedAtMs,
      endMs: run.endMs,
      stepMs: options.stepMs,
      ...(options.optional && { optional: options.optional }),
    });
  } catch (err) {
    warn(`${(err as Error).message}; no figures from the Prometheus server`);
    return undefined;
  }
  for (const w of result.warnings) warn(w);
  const figures = new Set(result.samples.flatMap((s) => Object.keys(s).filter((k) => k !== 't')));
  log(
    `prometheus: ${result.samples.length} points of ${figures.size} figures at a ${result.stepMs / 1000}s step from ${options.url.href}`,
  );
  return result.samples;
}
