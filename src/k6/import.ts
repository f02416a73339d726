/**
 * k6 outputs → a run directory in the pack's format, so the report, summary and verdicts of a
 * k6 run are made by the same code as a built-in run's.
 */
import { UsageError } from '../errors.ts';
import { finishPhaseSummary } from '../load/phase-summary.ts';
import { phaseParams, type PhaseSpec } from '../load/phases.ts';
import { newLatencyHistogram, recordMs, secondStats } from '../load/latency.ts';
import { phaseKindOf } from '../phases/kinds.ts';
import type { K6ImportOptions } from '../options/k6-import-options.ts';
import { recordRun, runDirName } from '../rundir/recorder.ts';
import {
  SCHEMA,
  type K6ImportRecord,
  type LoadSecond,
  type PhaseLoadSummary,
  type PhaseRecord,
  type RunEvent,
  type RunFile,
} from '../rundir/schema.ts';
import { toolVersions } from '../rundir/versions.ts';
import type { K6RunMeta } from '../../scenarios/k6/lib/summary.ts';
import { DuplicateRunnerError, K6Aggregator, type PhaseAcc } from './aggregate.ts';
import { expandInputs, readK6File, type FileReport } from './read-input.ts';
import { readSampleSide, shiftSamples, type SampleSide } from './samples-join.ts';
import type { K6SummaryInfo } from './summary.ts';

export interface K6ImportResult {
  dir: string;
  run: RunFile;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export async function importK6(o: K6ImportOptions, log: (line: string) => void = () => {}): Promise<K6ImportResult> {
  const files = expandInputs(o.inputs);
  const agg = new K6Aggregator();
  const summaries: { file: string; info: K6SummaryInfo }[] = [];
  const reports: FileReport[] = [];
  try {
    for (const file of files) {
      log(`reading ${file}`);
      reports.push(
        await readK6File(file, {
          point: (p, f) => agg.add(p, f),
          summary: (info, f) => summaries.push({ file: f, info }),
        }),
      );
    }
  } catch (err) {
    agg.destroy();
    if (err instanceof DuplicateRunnerError) throw new UsageError(`--k6: ${err.message}`);
    throw err;
  }
  if (agg.phases.size === 0) {
    agg.destroy();
    throw new UsageError(
      `--k6: no requests of any scenario in ${files.join(', ')}: the report needs k6's metric stream (k6 run --out json=FILE or --out csv=FILE); the end-of-test summary alone has no timeline`,
    );
  }
  const side = o.samples === undefined ? undefined : readSampleSide(o.samples);
  try {
    return write(o, agg, summaries, reports, side);
  } finally {
    agg.destroy();
  }
}

function write(
  o: K6ImportOptions,
  agg: K6Aggregator,
  summaries: { file: string; info: K6SummaryInfo }[],
  reports: FileReport[],
  side: SampleSide | undefined,
): K6ImportResult {
  const warnings: string[] = reports.flatMap((r) => r.warnings);
  const meta = runMeta(summaries, warnings);
  const accs = [...agg.phases.values()].sort((a, b) => a.firstMs - b.firstMs);
  const clock = runClock(accs, side, warnings);
  const events: RunEvent[] = [];
  const phases = accs.map((acc) => phaseRecord(acc, meta, clock.t, warnings, events));

  const record = importRecord(reports, agg, summaries, clock.t, side, warnings);
  if (agg.httpReqsTotal > 0 && agg.httpReqsTotal !== agg.durationSamples) {
    warnings.push(
      `the metric streams hold ${agg.httpReqsTotal} http_reqs but ${agg.durationSamples} http_req_duration samples: an output cut short?`,
    );
  }

  const run = runFile(o, meta, agg, side, clock, phases, record);
  const dir = recordRun(o.outDir, o.name ?? runDirName(['k6', run.scenario]), run, {
    load: loadSeconds(agg, clock.t0),
    ...(side && { samples: shiftSamples(side.samples, side.startedAtMs, clock.t0) }),
    ...(side?.prometheus && {
      prometheus: shiftSamples(side.prometheus.samples, side.prometheus.startedAtMs, clock.t0),
    }),
    events: runEvents(record, events, warnings, side, clock),
  });
  return { dir, run };
}

/** The first summary's run metadata; summaries naming different scenarios are worth a warning. */
function runMeta(summaries: { file: string; info: K6SummaryInfo }[], warnings: string[]): K6RunMeta | undefined {
  const metas = summaries.flatMap((s) => (s.info.meta ? [s.info.meta] : []));
  if (new Set(metas.map((m) => m.scenario)).size > 1)
    warnings.push(
      `the summaries name different scenarios (${[...new Set(metas.map((m) => m.scenario))].join(', ')}): are these outputs of one run?`,
    );
  return metas[0];
}

interface RunClock {
  /** Wall-clock ms of the run's t = 0: the earlier of the k6 run's start and the samples'. */
  t0: number;
  endMs: number;
  /** Wall-clock ms → seconds on this run's clock. */
  t: (ms: number) => number;
}

function runClock(accs: PhaseAcc[], side: SampleSide | undefined, warnings: string[]): RunClock {
  const k6Start = Math.min(...accs.map((a) => a.firstMs));
  const k6End = Math.max(...accs.map((a) => a.lastMs));
  const sideEnd = side ? side.startedAtMs + 1000 * side.samples.reduce((m, s) => Math.max(m, s.t), 0) : undefined;
  const t0 = Math.floor(Math.min(k6Start, side?.startedAtMs ?? Infinity));
  const endMs = Math.max(k6End, sideEnd ?? -Infinity);
  if (side && sideEnd !== undefined && (sideEnd < k6Start || side.startedAtMs > k6End)) {
    warnings.push(
      `the samples (${new Date(side.startedAtMs).toISOString()} to ${new Date(sideEnd).toISOString()}) and the k6 run (${new Date(k6Start).toISOString()} to ${new Date(k6End).toISOString()}) do not overlap in time: were they recorded together, and do the machines' clocks agree?`,
    );
  }
  return { t0, endMs, t: (ms: number) => r3((ms - t0) / 1000) };
}

/** One k6 scenario as a phase, with its start and end events. */
function phaseRecord(
  acc: PhaseAcc,
  meta: K6RunMeta | undefined,
  t: (ms: number) => number,
  warnings: string[],
  events: RunEvent[],
): PhaseRecord {
  const spec = meta?.phases.find((p) => p.name === acc.name);
  let kind = acc.kind ?? spec?.kind;
  if (kind === undefined) {
    kind = 'burst';
    warnings.push(
      `phase "${acc.name}": its samples have no phase_kind tag (not one of the pack's k6 scripts?); treated as a burst`,
    );
  }
  const result = phaseResult(acc, kind, spec);
  if (spec && result.sent < result.requested) {
    warnings.push(
      `phase "${acc.name}": k6 sent ${result.sent} of the ${result.requested} requests the scenario asks for (dropped iterations, maxDuration reached, or outputs of some runners missing)`,
    );
  }
  const runners = acc.runners.size;
  events.push(
    {
      t: t(acc.firstMs),
      type: 'phase-start',
      phase: acc.name,
      message: `k6 scenario ${acc.name} (${kind}) over ${runners} runner${runners === 1 ? '' : 's'}`,
    },
    {
      t: t(acc.lastMs),
      type: 'phase-end',
      phase: acc.name,
      message: `${result.completed} responses, ${result.errors} errors, ${result.non2xx} non-2xx in ${result.durationS.toFixed(1)} s`,
    },
  );
  return {
    name: acc.name,
    kind,
    params: spec ? phaseParams(spec) : {},
    startT: t(acc.firstMs),
    endT: t(acc.lastMs),
    result,
  };
}

function runFile(
  o: K6ImportOptions,
  meta: K6RunMeta | undefined,
  agg: K6Aggregator,
  side: SampleSide | undefined,
  clock: RunClock,
  phases: PhaseRecord[],
  record: K6ImportRecord,
): RunFile {
  return {
    schema: SCHEMA.run,
    scenario: meta?.scenario ?? 'k6',
    status: 'completed',
    startedAt: new Date(clock.t0).toISOString(),
    startedAtMs: clock.t0,
    endedAt: new Date(clock.endMs).toISOString(),
    options: {
      k6: o.inputs,
      ...(o.samples !== undefined && { samples: o.samples }),
      ...(meta && { k6Scenario: meta.scenario, maxDurationMs: meta.maxDurationMs }),
    },
    target: {
      kind: 'attach',
      label: 'k6',
      url: targetUrl(meta, agg),
      ...(side?.run?.target.pid !== undefined && { pid: side.run.target.pid }),
      ...(side?.run?.target.metricsUrl !== undefined && { metricsUrl: side.run.target.metricsUrl }),
    },
    versions: toolVersions(),
    phases,
    k6: record,
  };
}

/** The phases' events, the sample run's warnings, this import's warnings, between run-start and run-end. */
function runEvents(
  record: K6ImportRecord,
  phaseEvents: RunEvent[],
  warnings: string[],
  side: SampleSide | undefined,
  clock: RunClock,
): RunEvent[] {
  const events = [...phaseEvents];
  if (side) {
    const d = (side.startedAtMs - clock.t0) / 1000;
    // The sample run's own warnings (a source that failed) belong to this report too.
    for (const e of side.events) if (e.type === 'warning' || e.type === 'info') events.push({ ...e, t: r3(e.t + d) });
  }
  return [
    {
      t: 0,
      type: 'run-start' as const,
      message: `imported from k6: ${record.files.length} file${record.files.length === 1 ? '' : 's'}, ${record.runners.length} runner${record.runners.length === 1 ? '' : 's'}${side ? `, samples from ${side.path}` : ''}`,
    },
    ...events,
    ...warnings.map((message): RunEvent => ({ t: 0, type: 'warning', message })),
    { t: clock.t(clock.endMs), type: 'run-end', message: 'completed' } satisfies RunEvent,
  ].sort((a, b) => a.t - b.t);
}

/** Counts added over runners; latency from the runners' histograms merged into one. */
function phaseResult(acc: PhaseAcc, kind: PhaseLoadSummary['kind'], spec: PhaseSpec | undefined): PhaseLoadSummary {
  const merged = newLatencyHistogram();
  let sent = 0,
    completed = 0,
    errors = 0,
    timeouts = 0,
    non2xx = 0;
  const statusCodes: Record<string, number> = {};
  for (const r of acc.runners.values()) {
    sent += r.sent;
    completed += r.completed;
    errors += r.errors;
    timeouts += r.timeouts;
    non2xx += r.non2xx;
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
    merged.add(r.hist);
  }
  const durationS = r3(Math.max(acc.lastMs - acc.firstMs, 1) / 1000);
  const requested = (spec && phaseKindOf(spec).plannedRequests(spec)) ?? sent;
  return finishPhaseSummary(
    acc.name,
    kind,
    { requested, sent, completed, errors, timeouts, non2xx, statusCodes },
    durationS,
    merged,
  );
}

/**
 * One line per phase and wall-clock second, all runners together. Buckets follow k6's own
 * seconds (CSV timestamps are whole seconds by default), so `t` is the end of that second on
 * this run's clock.
 */
function loadSeconds(agg: K6Aggregator, t0: number): LoadSecond[] {
  const out: LoadSecond[] = [];
  const h = newLatencyHistogram();
  for (const [phase, seconds] of agg.seconds) {
    for (const [sec, s] of [...seconds].sort((a, b) => a[0] - b[0])) {
      h.reset();
      for (const ms of s.latenciesMs) recordMs(h, ms);
      out.push({
        phase,
        t: r3(((sec + 1) * 1000 - t0) / 1000),
        completed: s.completed,
        errors: s.errors,
        timeouts: s.timeouts,
        non2xx: s.non2xx,
        ...secondStats(h),
      });
    }
  }
  h.destroy();
  return out.sort((a, b) => a.t - b.t);
}

function importRecord(
  reports: FileReport[],
  agg: K6Aggregator,
  summaries: { file: string; info: K6SummaryInfo }[],
  t: (ms: number) => number,
  side: SampleSide | undefined,
  warnings: string[],
): K6ImportRecord {
  const record: K6ImportRecord = {
    files: reports.map((r) => ({
      path: r.path,
      format: r.format,
      points: r.points,
      summaries: r.summaries,
      skippedLines: r.skippedLines,
    })),
    runners: [...agg.runners.values()]
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
      .map((r) => ({ id: r.id, file: r.file, requests: r.requests, firstT: t(r.firstMs), lastT: t(r.lastMs) })),
    ...(side && { samplesFrom: side.path }),
  };
  if (summaries.length === 0) return record;
  const sum = (pick: (s: K6SummaryInfo) => number | undefined) => {
    const v = summaries.map((s) => pick(s.info));
    return v.every((x) => x !== undefined) ? v.reduce<number>((a, b) => a + b!, 0) : undefined;
  };
  const passes = sum((s) => s.checks?.passes);
  const fails = sum((s) => s.checks?.fails);
  const httpReqs = sum((s) => s.httpReqs);
  const failed = sum((s) => s.failed);
  const crossed = summaries.flatMap((s) => s.info.thresholdsCrossed.map((x) => `${x} (${s.file})`));
  record.summary = {
    files: summaries.length,
    ...(httpReqs !== undefined && { httpReqs }),
    ...(failed !== undefined && { failed }),
    ...(passes !== undefined && fails !== undefined && { checks: { passes, fails } }),
    thresholdsCrossed: crossed,
  };
  for (const c of crossed) warnings.push(`k6 threshold crossed: ${c}`);
  if (passes !== undefined && fails !== undefined && fails > 0)
    warnings.push(`k6 checks: ${fails} of ${passes + fails} failed`);
  // Each runner writes its own summary; only when there is one per runner must the totals match.
  if (httpReqs !== undefined && summaries.length === record.runners.length && httpReqs !== agg.httpReqsTotal) {
    warnings.push(
      `the end-of-test summaries count ${httpReqs} requests, the metric streams ${agg.httpReqsTotal}: is an output missing or cut short?`,
    );
  } else if (summaries.length !== record.runners.length) {
    warnings.push(
      `${summaries.length} end-of-test summar${summaries.length === 1 ? 'y' : 'ies'} for ${record.runners.length} runner${record.runners.length === 1 ? '' : 's'}: totals not compared`,
    );
  }
  return record;
}

function targetUrl(meta: K6RunMeta | undefined, agg: K6Aggregator): string {
  const first = meta?.phases[0];
  if (meta && meta.baseUrl !== '' && first && 'path' in first) return meta.baseUrl + first.path;
  return agg.url ?? '';
}
