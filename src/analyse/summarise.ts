import { findPhaseKind } from '../phases/kinds.ts';
import type { RunData } from '../rundir/read-run.ts';
import { FIGURES, type PhaseLoadSummary, type PhaseRecord, type RunEvent, type Sample } from '../rundir/schema.ts';
import { allocationSites, topSiteEvidence } from './alloc-sites.ts';
import { isGrowthKind } from './diagnosis.ts';
import { derivePhaseLoad } from './derive-load.ts';
import { formatT } from './format.ts';
import { headline } from './headline.ts';
import { round } from './stats.ts';
import { diagnose } from './verdict.ts';
import { SUMMARY_SCHEMA, type FigureSummary, type SummaryFile } from './summary-file.ts';

/**
 * The analysis: a run's data in, its summary out. Pure (no I/O, no clock) so the same run
 * directory always gives the same summary.json, and tests can feed it synthetic runs.
 */
export function summarise(data: RunData): SummaryFile {
  const warnings = [...data.warnings, ...statusWarnings(data), ...eventWarnings(data.events)];
  const memory = summariseMemory(data.samples);
  const first = data.samples[0];
  const last = data.samples.at(-1);
  const summary: SummaryFile = {
    schema: SUMMARY_SCHEMA,
    scenario: data.run.scenario,
    status: data.run.status,
    target: data.run.target,
    durationS: runDuration(data),
    load: summariseLoad(data, warnings),
    memory,
    warnings: [],
    headline: headline({
      memory,
      sampleCount: data.samples.length,
      sampleSpanS: first && last ? round(last.t - first.t) : 0,
    }),
  };
  const exits = data.events.filter((e) => e.type === 'target-exit');
  if (exits.length > 0) summary.targetExits = exits;
  summary.diagnosis = diagnose(data, memoryLimit(data));
  if (data.prometheus) summary.prometheusMemory = summariseMemory(data.prometheus);
  const sites = allocationSites(data);
  if (sites) {
    summary.allocationSites = sites;
    const v = summary.diagnosis.verdict;
    if (isGrowthKind(v.kind)) v.evidence.push(...topSiteEvidence(sites));
  }
  summary.warnings = [...new Set(warnings)];
  return summary;
}

/** Start, peak, end and change of every figure that was sampled at least once. */
export function summariseMemory(samples: readonly Sample[]): FigureSummary[] {
  const out: FigureSummary[] = [];
  for (const info of FIGURES) {
    let count = 0;
    let start = 0;
    let end = 0;
    let peak = -Infinity;
    let peakT = 0;
    for (const s of samples) {
      const v = s[info.key];
      if (v === undefined) continue;
      if (count === 0) start = v;
      count++;
      end = v;
      // Strictly greater: the first time the peak was reached is when it happened.
      if (v > peak) {
        peak = v;
        peakT = s.t;
      }
    }
    if (count === 0) continue;
    out.push({
      key: info.key,
      label: info.label,
      unit: info.unit,
      samples: count,
      start,
      peak,
      peakT,
      end,
      change: end - start,
    });
  }
  return out;
}

/**
 * One load summary per phase that ran: the load stage's own result when the phase ended,
 * otherwise one rebuilt from its records. Phases found only in the records (run.json not
 * updated before a crash) are included too, in the order they appear.
 */
export function summariseLoad(data: RunData, warnings: string[]): PhaseLoadSummary[] {
  const phases: PhaseRecord[] = [...data.run.phases];
  const known = new Set(phases.map((p) => p.name));
  for (const r of [...data.load, ...data.probes]) {
    if (known.has(r.phase)) continue;
    known.add(r.phase);
    const kind = data.probes.some((p) => p.phase === r.phase) ? 'idle' : 'burst';
    phases.push({ name: r.phase, kind, params: {} });
    warnings.push(`phase "${r.phase}" has records but is not listed in run.json; its kind is guessed as ${kind}`);
  }
  const out: PhaseLoadSummary[] = [];
  for (const phase of phases) {
    if (phase.result) {
      out.push(phase.result);
      continue;
    }
    const seconds = data.load.filter((l) => l.phase === phase.name);
    const probes = data.probes.filter((p) => p.phase === phase.name);
    if (seconds.length === 0 && probes.length === 0) {
      // A phase the pack only watched (its kind drives no load), or found in a watched run from
      // the target's activity (params.found), has none to record.
      const found = typeof phase.params === 'object' && phase.params !== null && 'found' in phase.params;
      if (phase.startT !== undefined && !found && findPhaseKind(phase.kind)?.drivesLoad !== false)
        warnings.push(`phase "${phase.name}" started but recorded no load`);
      continue;
    }
    warnings.push(
      `phase "${phase.name}" has no load result in run.json (it did not finish); its figures are rebuilt from ${probes.length > 0 ? 'probes.ndjson' : 'load.ndjson'}${probes.length > 0 ? '' : ', without latency percentiles'}`,
    );
    out.push(derivePhaseLoad(phase, seconds, probes));
  }
  return out;
}

/**
 * Wall-clock length of the run from run.json when it ended cleanly; otherwise the latest
 * time any record mentions, which is as far as the evidence goes.
 */
export function runDuration(data: RunData): number {
  const ended = data.run.endedAt === undefined ? NaN : Date.parse(data.run.endedAt);
  if (Number.isFinite(ended) && ended >= data.run.startedAtMs) return round((ended - data.run.startedAtMs) / 1000);
  let latest = 0;
  for (const s of data.samples) latest = Math.max(latest, s.t);
  for (const l of data.load) latest = Math.max(latest, l.t);
  for (const p of data.probes) latest = Math.max(latest, p.sentT);
  for (const e of data.events) latest = Math.max(latest, e.t);
  for (const p of data.run.phases) latest = Math.max(latest, p.endT ?? 0, p.startT ?? 0);
  return round(latest);
}

/** The limit the run was started with (--memory-limit, kept in run.json's options), if any. */
function memoryLimit(data: RunData): { memoryLimitBytes?: number } {
  const o = data.run.options;
  // A stored run.json may have been written by another command, or edited: check, do not trust.
  const v: unknown = typeof o === 'object' && o !== null && 'memoryLimitBytes' in o ? o.memoryLimitBytes : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? { memoryLimitBytes: v } : {};
}

function statusWarnings(data: RunData): string[] {
  if (data.run.status !== 'running') return [];
  return [
    'run.json still says the run is running: it was probably killed before it could finish; this report covers what it wrote',
  ];
}

function eventWarnings(events: readonly RunEvent[]): string[] {
  return events
    .filter((e) => e.type === 'warning')
    .map((e) => `${formatT(e.t)}${e.phase ? ` (${e.phase})` : ''}: ${e.message ?? 'warning without a message'}`);
}
