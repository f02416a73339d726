import type { PhaseLoadSummary } from '../rundir/schema.ts';
import { runBurst, type BurstPhase, type BurstSinks } from './burst.ts';
import { runBurstAutocannon } from './burst-autocannon.ts';

export const BURST_ENGINES = ['autocannon', 'net'] as const;
export type BurstEngineName = (typeof BURST_ENGINES)[number];

/**
 * autocannon is the built-in engine (a well-kept load generator with years of use); `net` is
 * the pack's lean client for when the load generator must take as little of a small machine's
 * CPU as possible. Both count exactly and write the same timeline.
 */
export function runBurstWith(engine: BurstEngineName, phase: BurstPhase, sinks: BurstSinks): Promise<PhaseLoadSummary> {
  return engine === 'net' ? runBurst(phase, sinks) : runBurstAutocannon(phase, sinks);
}
