import type { ProgressState } from '../console/progress.ts';
import type { LoadSecond, PhaseRecord, RunEvent, RunStatus, Sample } from '../rundir/schema.ts';

/*
 * What the live view's server sends its page over server-sent events. Types only, shared by
 * the server (live-server.ts) and the page (src/report/browser/live-page.ts).
 *
 * Event names and their data:
 *   history   LiveState      sent first on every (re)connection: everything so far
 *   sample    Sample         one memory sample, as written to samples.ndjson
 *   load      LoadSecond     one second of load, as written to load.ndjson
 *   event     RunEvent       one event, as written to events.ndjson
 *   run       LiveRun        the run's phases or status changed
 *   progress  LiveProgress   the current phase's progress (a few times a second at most)
 *   analysis  LiveAnalysis   the provisional growth analysis (every few seconds while watched)
 *   end       LiveEnd        the run is over; the server closes after this
 */

export interface LiveRun {
  scenario: string;
  target: string;
  status: RunStatus;
  startedAtMs: number;
  /** The phases as planned, with start and end times once they have them (results left out). */
  phases: LivePhase[];
  /**
   * A watched run's phases as found so far (found again every few seconds, final only at its
   * end); absent in a driven run.
   */
  found?: LivePhase[];
  /** How long the whole run is planned to last, when known (seconds). */
  plannedS?: number;
  dir: string;
}

export type LivePhase = Omit<PhaseRecord, 'result' | 'params'>;

export type LiveProgress = ProgressState & { t: number };

export interface LiveRate {
  figure: string;
  window: string;
  /** e.g. "+74.4 MiB/h (95% CI +71.7 MiB to +77.3 MiB, Kendall's tau 0.90)". */
  text: string;
  trend?: string;
}

export interface LiveAnalysis {
  /** Run time (s) the analysis was computed at, and over how many samples. */
  t: number;
  samples: number;
  verdict: { kind: string; summary: string };
  rates: LiveRate[];
  /** Why there is no rate yet, when there is none. */
  note?: string;
  /** Milliseconds the analysis took, so its cost is visible. */
  tookMs: number;
}

export interface LiveEnd {
  status: RunStatus;
  endReason?: string;
  /** The report's index.html, relative to where the pack was started. */
  report?: string;
  headline?: string;
}

export interface LiveState {
  run: LiveRun;
  samples: Sample[];
  load: LoadSecond[];
  events: RunEvent[];
  progress?: LiveProgress;
  analysis?: LiveAnalysis;
  end?: LiveEnd;
  /** Seconds since the run started, when this state was sent. */
  now: number;
}
