import type { Histogram } from 'hdr-histogram-js';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { encodeHistogram, latencySummary } from './latency.ts';
import type { PreparedRequests } from './request-bytes.ts';

/** The optional parts of a result that only some phases have. */
export type PhaseExtra = Pick<PhaseLoadSummary, 'pacing' | 'responsesByRequest' | 'unexpectedStatus' | 'steady'>;

/**
 * Answers per request of a mix (only when there is more than one request) and the answers
 * whose status a request did not expect (only when some request names its statuses).
 */
export function mixCounts(p: Pick<PreparedRequests, 'mix'>, sentBy: ArrayLike<number>, unexpected: number): PhaseExtra {
  const defs = p.mix.requests;
  const out: PhaseExtra = {};
  if (defs.length > 1) {
    out.responsesByRequest = {};
    defs.forEach(
      (r, i) => (out.responsesByRequest![r.name] = (out.responsesByRequest![r.name] ?? 0) + (sentBy[i] ?? 0)),
    );
  }
  if (defs.some((r) => r.expectStatus)) out.unexpectedStatus = unexpected;
  return out;
}

export type PhaseCounts = Pick<
  PhaseLoadSummary,
  'requested' | 'sent' | 'completed' | 'errors' | 'timeouts' | 'non2xx' | 'statusCodes'
>;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A phase's result from its counts and its latency histogram, the same for every engine and
 * for k6 imports. The histogram travels encoded, so runs can be merged later; it is freed here.
 */
export function finishPhaseSummary(
  phase: string,
  kind: PhaseLoadSummary['kind'],
  counts: PhaseCounts,
  durationS: number,
  hist: Histogram,
  extra: PhaseExtra = {},
): PhaseLoadSummary {
  const latency = latencySummary(hist);
  const summary: PhaseLoadSummary = {
    phase,
    kind,
    ...counts,
    durationS: round3(durationS),
    rate: round3(counts.completed / Math.max(durationS, 1e-9)),
    ...(latency && { latency }),
    ...extra,
    histogram: encodeHistogram(hist),
  };
  hist.destroy();
  return summary;
}
