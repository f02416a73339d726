import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { runBurst, type BurstPhase, type BurstSinks, type BurstTuning } from './burst.ts';
import { runBurstAutocannon } from './burst-autocannon.ts';

export const BURST_ENGINES = ['autocannon', 'net'] as const;
export type BurstEngineName = (typeof BURST_ENGINES)[number];

/**
 * `net`, the default, is the pack's node:net client: it passes the HTTP/1.1 conformance suite
 * (test/integration/http1-conformance.test.ts) and is the fastest (bench/results). autocannon
 * runs the same suite; where it cannot count exactly, its runs say so in a warning. Both write
 * the same timeline and summary.
 */
export function runBurstWith(
  engine: BurstEngineName,
  phase: BurstPhase,
  sinks: BurstSinks,
  tuning: Pick<BurstTuning, 'threads'> = {},
): Promise<PhaseLoadSummary> {
  return engine === 'net' ? runBurst(phase, sinks, tuning) : runBurstAutocannon(phase, sinks);
}
