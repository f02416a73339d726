import type { Sample } from '../rundir/schema.ts';
import type { OutsideDef, RuntimeProfile } from './runtime-profiles.ts';

/**
 * Memory outside the Go heap for a Go target with no go_memstats_sys_bytes (no client_golang),
 * from what gctrace prints at each collection: the Go heap is never allowed past its goal, so
 * resident memory beyond the highest goal reported so far cannot be the Go heap. Measured on a
 * server that mallocs 1 KiB per request in C (the verdict corpus' go-cgo-leak): RSS retained
 * +1,017 KiB per 1,000 requests while gctrace's live heap stayed at 1 MiB and its goal at 4 MiB,
 * and without this figure the verdict could only say not-enough-data.
 *
 * The running maximum, not the goal at each sample: after a burst the goal falls at the next
 * collection while the heap's pages stay resident until the scavenger returns them, and those
 * must not read as memory outside the heap. Goroutine stacks and the runtime's metadata count as
 * outside here; they are a few MiB and do not grow unless goroutines do (their own figure).
 */
export function withGoalOutside(profile: RuntimeProfile, samples: readonly Sample[]): RuntimeProfile {
  if (profile.runtime !== 'go' || !profile.outside) return profile;
  if (samples.some((s) => s.goSys !== undefined) || !samples.some((s) => s.gcTraceGoal !== undefined)) return profile;
  const highest = new Map<Sample, number>();
  let max: number | undefined;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.gcTraceGoal !== undefined) max = Math.max(max ?? 0, s.gcTraceGoal);
    if (max !== undefined) highest.set(s, max);
  }
  const outside: OutsideDef = {
    key: profile.outside.key,
    label: 'RSS outside the Go heap',
    held: (s) => highest.get(s),
    derivation:
      "max(0, RssAnon (or RSS when RssAnon is not sampled) − the highest heap goal gctrace reported so far): resident memory beyond the most the Go heap was allowed to grow to (the target exposes no go_memstats_sys_bytes); goroutine stacks and the runtime's metadata count in it",
  };
  return { ...profile, outside };
}
