import type { RunClock } from '../load/clock.ts';
import type { RunRecorder, SeriesAppender } from '../rundir/recorder.ts';
import type { RuntimeOrigin, SitesRecord } from '../rundir/schema.ts';
import { isUnavailable, type SitesProfile, type Unavailable } from '../sample/runtime/source.ts';
import type { RunJournal } from './journal.ts';
import { round3 } from './journal.ts';

/** Where the run puts each allocation-site profile a runtime source gives at a rest's end. */
export interface SitesSink {
  save(label: string, source: RuntimeOrigin, profile: SitesProfile | Unavailable): void;
}

/**
 * Writes allocation-site profiles into the run directory: the raw profile under sites/ (listed
 * in run.json's allocationProfiles with the tool that opens it) and its parsed sites as one
 * line of sites.ndjson, opened at the first profile so that runs without any have no such file.
 * A source that could not give one is a line saying why, and a journal note; a raw profile that
 * cannot be written is a warning, and its sites are kept.
 */
export class SitesRecording implements SitesSink {
  private series: SeriesAppender<SitesRecord> | undefined;

  constructor(
    private readonly recorder: RunRecorder,
    private readonly clock: RunClock,
    private readonly journal: RunJournal,
  ) {}

  save(label: string, source: RuntimeOrigin, profile: SitesProfile | Unavailable): void {
    const t = round3(this.clock.now());
    this.series ??= this.recorder.series('sites');
    if (isUnavailable(profile)) {
      this.series.write({ t, label, source, unavailable: profile.unavailable });
      this.journal.event({ type: 'info', phase: label, message: `no allocation sites: ${profile.unavailable}` });
      return;
    }
    const file = this.saveRaw(label, t, profile);
    this.series.write({
      t,
      label,
      source,
      origin: profile.origin,
      method: profile.method,
      sites: profile.sites,
      ...(profile.totalBytes !== undefined && { totalBytes: profile.totalBytes }),
      ...(profile.totalObjects !== undefined && { totalObjects: profile.totalObjects }),
      ...(file !== undefined && { file }),
    });
    this.journal.event({
      type: 'info',
      phase: label,
      message: `allocation sites (${profile.origin}): ${profile.sites.length} sites${file ? `, raw profile ${file}` : ''}`,
    });
  }

  private saveRaw(label: string, t: number, profile: SitesProfile): string | undefined {
    const file = this.recorder.nextArtifact('allocationProfiles', label, profile.raw.extension);
    try {
      this.recorder.saveArtifact(
        'allocationProfiles',
        { label, t, file, origin: profile.origin, openWith: profile.raw.openWith },
        profile.raw.contents,
      );
      return file;
    } catch (err) {
      this.journal.warn(`allocation profile ${label} (${profile.origin}): ${(err as Error).message}`);
      return undefined;
    }
  }
}
