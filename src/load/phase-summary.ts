import type { Histogram } from 'hdr-histogram-js';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { encodeHistogram, latencySummary } from './latency.ts';

export type PhaseCounts = Pick<PhaseLoadSummary, 'requested' | 'sent' | 'completed' | 'errors' | 'timeouts' | 'non2xx' | 'statusCodes'>;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A phase's result from its counts and its latency histogram, the same for every engine and
 * for k6 imports. The histogram travels encoded, so runs can be merged later; it is freed here.
 */
export function finishPhaseSummary(
  phase: string,
  kind: 'idle' | 'burst',
  counts: PhaseCounts,
  durationS: number,
  hist: Histogram,
  extra: Pick<PhaseLoadSummary, 'pacing'> = {},
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
