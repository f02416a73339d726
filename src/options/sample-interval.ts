import { DEFAULTS } from './defaults.ts';
import { LIMITS } from './rules.ts';
import { durationMs } from './values.ts';

/** --sample-interval, for every command that samples (run, compare, sample). */
export function sampleIntervalMs(raw: string | undefined): number {
  return raw === undefined ? DEFAULTS.sampleIntervalMs : durationMs('sample-interval', raw, LIMITS.sampleIntervalMs);
}
