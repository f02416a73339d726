import { diagnose } from '../analyse/verdict.ts';
import type { PhaseSpec } from '../load/phases.ts';
import { readRunDir } from '../rundir/read-run.ts';
import { phaseRecords } from './run-record.ts';
import type { MorePhases } from './session.ts';

/**
 * A soak that cannot decide asks again, as a leak hunter would by hand: when what the bursts
 * left behind is less each time but still beyond noise (a leak after a warm-up, or a warm-up still
 * settling) or uneven, the figures cannot tell, so the same burst and rest run once more, up to
 * --max-bursts. Deciding from the curves instead is what called a cache that filled in its first
 * burst (Go live heap +14.6 MiB, then +1.2 MiB against a 0.8 MiB band) a heap leak.
 */
export function moreBursts(
  maxBursts: number,
  secretHeaders: readonly string[] | undefined,
): (dir: string, done: readonly PhaseSpec[]) => MorePhases {
  const none: MorePhases = { specs: [], records: [] };
  return (dir, done) => {
    const bursts = done.filter((p) => p.kind === 'burst');
    const rest = done.at(-1);
    const burst = bursts.at(-1);
    if (bursts.length < 2 || bursts.length >= maxBursts || !burst || rest?.kind !== 'idle') return none;
    let undecided;
    try {
      undecided = diagnose(readRunDir(dir)).retainedUndecided;
    } catch {
      // A run that cannot be read back now will say why in its report; it is not extended.
      return none;
    }
    if (!undecided) return none;
    const n = bursts.length + 1;
    const taken = new Set(done.map((p) => p.name));
    const name = (base: string): string => (taken.has(base) ? `${base}-added` : base);
    const specs: PhaseSpec[] = [
      { ...burst, name: name(`burst-${n}`) },
      { ...rest, name: name(`rest-${n}`) },
    ];
    return {
      specs,
      records: phaseRecords(specs, secretHeaders),
      why: `${undecided.label} retained ${undecided.shape === 'uneven' ? 'unevenly' : 'less after each burst, but beyond noise'} over ${bursts.length} bursts: running burst ${n} of at most ${maxBursts} to decide (--max-bursts)`,
    };
  };
}
