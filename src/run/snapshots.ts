import type { RunClock } from '../load/clock.ts';
import type { RunRecorder } from '../rundir/recorder.ts';
import { fetchHeapProfile } from '../sample/pprof.ts';
import { readSmaps } from '../sample/smaps-snapshot.ts';
import { round3 } from './journal.ts';

/**
 * smaps snapshots (start, after each phase, end) and heap profiles (start, end), for "where
 * did it grow" and the pprof diff. Best effort: a failure is a warning, never the run's end.
 */
export class Snapshots {
  constructor(
    private readonly recorder: RunRecorder,
    private readonly clock: RunClock,
    private readonly warn: (message: string) => void,
  ) {}

  async take(label: string, pid: number | undefined, profileFrom: URL | undefined): Promise<void> {
    const t = round3(this.clock.now());
    const smapsFile = this.recorder.nextArtifact('smapsSnapshots', label);
    if (pid !== undefined) {
      try {
        this.recorder.saveArtifact('smapsSnapshots', { label, t, file: smapsFile }, await readSmaps(pid));
      } catch (err) {
        this.warn(`smaps snapshot ${label}: ${(err as Error).message}`);
      }
    }
    if (profileFrom) {
      try {
        const profile = await fetchHeapProfile(profileFrom, 5000);
        if (profile)
          this.recorder.saveArtifact(
            'heapProfiles',
            { label, t, file: this.recorder.nextArtifact('heapProfiles', label) },
            profile,
          );
      } catch (err) {
        this.warn(`heap profile ${label}: ${(err as Error).message}`);
      }
    }
    this.recorder.saveRun();
  }
}
