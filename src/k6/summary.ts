/**
 * k6's end-of-test summary as handleSummary() receives it and `JSON.stringify(data)` writes it
 * (k6-docs results-output/end-of-test/custom-summary, "Summary data reference"):
 * `metrics.<name>.{type, contains, values, thresholds.<expr>.ok}`, `state.testRunDurationMs`,
 * `root_group.checks[].{name, passes, fails}`. The pack's k6 scripts add `leakbench` (the
 * scenario and its phases, scenarios/k6/lib/summary.ts).
 *
 * Only totals are taken from it: its trend percentiles are per runner and cannot be combined,
 * so latency always comes from the metric stream.
 */
import type { PhaseSpec } from '../load/phases.ts';
import { findPhaseKind } from '../phases/kinds.ts';
import { K6_META_SCHEMA, type K6RunMeta } from '../../scenarios/k6/lib/summary.ts';

export interface K6SummaryInfo {
  httpReqs?: number;
  /** Requests that k6 counted as failed (http_req_failed's non-zero values). */
  failed?: number;
  checks?: { passes: number; fails: number };
  /** "metric expression" of every threshold that was crossed. */
  thresholdsCrossed: string[];
  testRunDurationMs?: number;
  meta?: K6RunMeta;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** True for an object shaped like k6's summary data (and not like a metric-stream line). */
export function looksLikeSummary(v: unknown): v is Record<string, unknown> {
  return isObject(v) && isObject(v.metrics) && (isObject(v.state) || isObject(v.root_group)) && v.type === undefined;
}

export function parseSummary(data: Record<string, unknown>): K6SummaryInfo {
  const metrics = isObject(data.metrics) ? data.metrics : {};
  const values = (name: string): Record<string, unknown> => {
    const m = metrics[name];
    return isObject(m) && isObject(m.values) ? m.values : {};
  };
  const info: K6SummaryInfo = { thresholdsCrossed: [] };
  const reqs = num(values('http_reqs').count);
  if (reqs !== undefined) info.httpReqs = reqs;
  const failed = num(values('http_req_failed').passes);
  if (failed !== undefined) info.failed = failed;
  const cp = num(values('checks').passes);
  const cf = num(values('checks').fails);
  if (cp !== undefined && cf !== undefined) info.checks = { passes: cp, fails: cf };
  for (const [name, m] of Object.entries(metrics)) {
    if (!isObject(m) || !isObject(m.thresholds)) continue;
    for (const [expr, r] of Object.entries(m.thresholds)) {
      if (isObject(r) && r.ok === false) info.thresholdsCrossed.push(`${name} ${expr}`);
    }
  }
  const state = isObject(data.state) ? data.state : {};
  const dur = num(state.testRunDurationMs);
  if (dur !== undefined) info.testRunDurationMs = dur;
  const meta = parseMeta(data.leakbench);
  if (meta) info.meta = meta;
  return info;
}

function parseMeta(v: unknown): K6RunMeta | undefined {
  if (!isObject(v) || v.schema !== K6_META_SCHEMA || typeof v.scenario !== 'string' || !Array.isArray(v.phases))
    return undefined;
  const phases = v.phases.filter(
    (p): p is PhaseSpec => isObject(p) && typeof p.name === 'string' && findPhaseKind(p.kind) !== undefined,
  );
  if (phases.length !== v.phases.length) return undefined;
  return {
    schema: K6_META_SCHEMA,
    scenario: v.scenario,
    baseUrl: typeof v.baseUrl === 'string' ? v.baseUrl : '',
    phases,
    maxDurationMs: num(v.maxDurationMs) ?? 0,
  };
}
