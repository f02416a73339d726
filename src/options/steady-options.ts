import { UsageError } from '../errors.ts';
import type { RateStage } from '../load/phases.ts';
import { parseStages } from './stages.ts';
import { DEFAULTS } from './defaults.ts';
import { durationMs } from './values.ts';

/** Flags of the steady phase (scenario:steady); --rate, --duration, --connections and --request-timeout are shared. */
export const STEADY_FLAGS = {
  stages: { type: 'string' },
} as const;

export interface SteadyOptions {
  /** --rate when given; else DEFAULTS.steadyRate (the kubelet's 1/s would be no soak). */
  steadyRate: number;
  stages?: RateStage[];
}

export const STEADY_HELP = `  steady: --rate 100 --duration 10m --connections 100 --request-timeout 10s
         requests at --rate per second (default 100, at most 1000) over at most --connections
         kept-alive connections, sent on schedule whether or not earlier ones were answered
         --stages 30s:50,5m:200,30s:0   ramp the rate: duration:rate pairs, linear from the
                                         previous rate (starting at --rate, or 0 without --rate)`;

export function parseSteadyFlags(
  v: { stages?: string | undefined; rate?: string | undefined },
  rate: number,
): SteadyOptions {
  const out: SteadyOptions = {
    steadyRate: v.rate === undefined ? (v.stages === undefined ? DEFAULTS.steadyRate : 0) : rate,
  };
  if (v.stages !== undefined) {
    const stages = parseStages(v.stages, (text) => durationMs('stages', text, { min: 100 }));
    if (typeof stages === 'string') throw new UsageError(`--stages: ${stages}`);
    out.stages = stages;
  }
  return out;
}
