import type { MappingKind } from '../smaps.ts';
import { THRESHOLDS } from '../thresholds.ts';
import type { Context } from './context.ts';

/**
 * Outside the runtime, by address: where smaps puts RSS growth in Go's layout. The runtime's own
 * figures for memory outside it are weighed in under-load.ts and plateau.ts.
 * Words: verdict-words.ts outsideWords, smapsEvidence.
 */

/** Where smaps puts the growth, in Go's layout: in the Go heap arena, or outside it. */
export function smapsAttribution(ctx: Context): 'go-heap' | 'outside' | undefined {
  const s = ctx.smaps;
  if (!s || s.overall.rssChange < THRESHOLDS.minRiseBytes) return undefined;
  const by = (kinds: readonly MappingKind[]): number =>
    s.overall.kinds.filter((k) => kinds.includes(k.kind)).reduce((sum, k) => sum + Math.max(0, k.rssChange), 0);
  const total = s.overall.rssChange;
  if (by(['go-heap']) >= THRESHOLDS.smapsShare * total) return 'go-heap';
  if (by(['anonymous', 'race-shadow', 'race-meta-shadow']) >= THRESHOLDS.smapsShare * total) return 'outside';
  return undefined;
}
