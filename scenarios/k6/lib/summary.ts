/**
 * What the k6 scripts' handleSummary() writes. Pure, so Node tests can call it with a summary
 * object shaped like k6's.
 *
 * The summary JSON is k6's own `data` object (k6-docs, results-output/end-of-test/custom-summary:
 * `metrics.<name>.{type, contains, values, thresholds}`, `state.testRunDurationMs`,
 * `root_group.checks[]`), plus one extra key, `leakbench`, naming the scenario and its phases
 * so that `npm run report -- --k6` knows what was run without being told.
 */
import type { PhaseSpec } from '../../../src/load/phases.ts';

export const K6_META_SCHEMA = 'leakbench.k6-meta/1';

export interface K6RunMeta {
  schema: typeof K6_META_SCHEMA;
  scenario: string;
  baseUrl: string;
  phases: PhaseSpec[];
  maxDurationMs: number;
}

/** The parts of k6's summary data read here; everything else is passed through untouched. */
export interface K6SummaryData {
  metrics?: Record<
    string,
    { type?: string; values?: Record<string, number>; thresholds?: Record<string, { ok?: boolean }> } | undefined
  >;
  state?: { testRunDurationMs?: number };
  [key: string]: unknown;
}

/** The value handleSummary returns: k6 writes each key to stdout, stderr or the file it names. */
export function summaryOutputs(
  data: K6SummaryData,
  meta: K6RunMeta,
  target: string | undefined,
): Record<string, string> {
  const json = JSON.stringify({ ...data, leakbench: meta });
  const text = summaryText(data, meta, target);
  if (target === undefined) return { stdout: text };
  // One line, so that `kubectl logs` of a runner gives the metric stream and the summary in one file.
  if (target === 'stdout') return { stdout: `${text}${json}\n` };
  return { stdout: text, [target]: json };
}

export function summaryText(data: K6SummaryData, meta: K6RunMeta, target: string | undefined): string {
  const m = data.metrics ?? {};
  const reqs = m['http_reqs']?.values?.['count'] ?? 0;
  // A k6 rate metric counts non-zero values as passes: for http_req_failed a pass is a failure.
  const failed = m['http_req_failed']?.values?.['passes'] ?? 0;
  const checksOk = m['checks']?.values?.['passes'] ?? 0;
  const checksBad = m['checks']?.values?.['fails'] ?? 0;
  const d = m['http_req_duration']?.values ?? {};
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v * 1000) / 1000}ms`);
  const lines = [
    `leakbench k6 ${meta.scenario} against ${meta.baseUrl}: ${reqs} requests, ${failed} failed, checks ${checksOk}/${checksOk + checksBad} passed`,
    `  http_req_duration avg=${ms(d['avg'])} med=${ms(d['med'])} p(99)=${ms(d['p(99)'])} max=${ms(d['max'])}`,
  ];
  for (const [metric, info] of Object.entries(m)) {
    for (const [threshold, result] of Object.entries(info?.thresholds ?? {})) {
      lines.push(`  threshold ${metric} ${threshold}: ${result.ok === false ? 'CROSSED' : 'ok'}`);
    }
  }
  lines.push(
    target === undefined
      ? `  (set LEAKBENCH_SUMMARY=<file> to keep the summary JSON for npm run report -- --k6)`
      : target === 'stdout'
        ? '  summary JSON: the next line'
        : `  summary JSON: ${target}`,
  );
  return lines.join('\n') + '\n';
}
