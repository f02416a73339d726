import type { RuntimeName, SampleFigure } from '../rundir/schema.ts';
import type { SmapsReport } from './smaps.ts';
import { ALL_VERDICT_KINDS, classOf, KIND_CLASSES, VERDICT_KINDS, type VerdictKind } from './verdict-kinds.ts';

/**
 * The shape of `summary.json`'s `diagnosis`: what grew, where, how fast, and one verdict.
 * Memory in bytes, times in seconds since the run started, rates per hour or per 1,000
 * completed requests as named.
 */

export type { VerdictKind };

/** Verdicts that are a kind of memory growth (`--fail-on growth`): those whose class fails the gate. */
export const GROWTH_VERDICTS: readonly VerdictKind[] = ALL_VERDICT_KINDS.filter(
  (k) => KIND_CLASSES[VERDICT_KINDS[k].class].failsGrowthGate,
);

export function isGrowthKind(kind: string): boolean {
  return classOf(kind)?.failsGrowthGate === true;
}

export interface Verdict {
  kind: VerdictKind;
  /** One or two sentences, plain words. */
  summary: string;
  /** The measurements behind it, each a sentence with its numbers, most telling first. */
  evidence: string[];
  /** What the data could not tell, and why. */
  caveats: string[];
  /** What to do next: commands to run, issues to read. */
  suggestions: string[];
}

export type Trend = 'growing' | 'flat' | 'falling';

/** One robust fit of a figure in one window. */
export interface RateFit {
  /** `per-hour`: against time; `per-1k-requests`: against completed requests of the phase. */
  basis: 'per-hour' | 'per-1k-requests';
  /** False when there was not enough data; `reason` says what was missing. */
  ok: boolean;
  reason?: string;
  points: number;
  /** Theil–Sen slope in the figure's unit per hour or per 1,000 requests, with Sen's 95% CI. */
  rate?: number;
  low?: number;
  high?: number;
  /** Kendall's tau-b of the figure against the basis. */
  tau?: number;
  pValue?: number;
  /** Fitted change over the window (rate × span). */
  rise?: number;
  /** Rate over the second half of the window: a leak keeps it, a warm-up loses it. */
  lateRate?: number;
  trend?: Trend;
  /** Why a rising slope was not called growth: the test it failed. */
  why?: string;
}

export interface WindowFigure {
  /** Phase name, or "run". */
  window: string;
  kind: 'idle' | 'burst';
  startT: number;
  endT: number;
  samples: number;
  /** First sample in the window, median of its last few, highest. */
  start?: number;
  end?: number;
  peak?: number;
  change?: number;
  /** Completed requests in the window, when known. */
  requests?: number;
  /** Where the per-request x axis came from: per-second load records, probes, or a phase total spread evenly. */
  requestsFrom?: 'load.ndjson' | 'probes.ndjson' | 'phase result (assumed uniform)';
  perHour?: RateFit;
  per1k?: RateFit;
}

/**
 * `outsideGo` is derived, not sampled: resident anonymous memory minus what the Go runtime
 * holds from the OS (RssAnon − (go_memstats_sys − heap_released)). Go sys counts mapped
 * memory, resident or not, so this is a lower bound of memory outside the Go runtime; it is
 * flat for a plain Go server once warmed up and climbs with the race runtime's records.
 */
export type DiagnosedFigure = SampleFigure | 'outsideGo' | 'outsideRuntime';

export interface FigureDiagnosis {
  key: DiagnosedFigure;
  label: string;
  unit: 'bytes' | 'count';
  samples: number;
  baseline: number;
  /** How the baseline was taken, in words. */
  baselineFrom: string;
  /** The figure's first value came under load, so the baseline is that first sample. */
  baselineUnderLoad?: true;
  peak: number;
  peakT: number;
  end: number;
  windows: WindowFigure[];
  /** End of the last idle phase that follows a burst, minus the baseline. */
  retainedAfterBurst?: number;
  /** For a derived figure: how it is computed. */
  derivation?: string;
}

export interface Projection {
  figure: DiagnosedFigure;
  label: string;
  limitBytes: number;
  /** Where the figure is now (median of the last samples). */
  current: number;
  idleRatePerHour?: number;
  hoursToLimit?: number;
  burstRatePer1k?: number;
  requestsToLimit?: number;
  /** The projection in words, one sentence per rate. */
  text: string[];
}

export interface HeapProfileDiff {
  /** Files relative to the run directory. */
  start: string;
  end: string;
  /** To run in the run directory. */
  command: string;
}

export interface Diagnosis {
  verdict: Verdict;
  /** The OS's view of the process that the verdict rests on. */
  rssFigure?: SampleFigure;
  figures: FigureDiagnosis[];
  projection?: Projection;
  /** Where RSS grew by kind of mapping, when the run took two smaps snapshots or more. */
  smaps?: SmapsReport;
  heapProfiles?: HeapProfileDiff;
  targetExits: { count: number; oomKills: number };
  /** Whose words the verdict uses, and how the runtime was told (absent in older summaries). */
  runtime?: { name: RuntimeName | 'unknown'; from: string };
  /** What RSS holds above its baseline at the end (`--fail-on held>SIZE`). */
  held?: HeldMemory;
  /** For a plateau: where and when growth stopped. */
  plateau?: PlateauFacts;
  /** Memory retained after each burst, at rest, against requests served (runs with a rest after a burst). */
  retained?: RetainedReport;
  /**
   * The retained figure that could not decide (less retained each time but beyond noise, or
   * uneven), when the verdict had to rest on the curves instead: another burst would decide.
   */
  retainedUndecided?: { key: DiagnosedFigure; label: string; shape: RetainedShape };
}

export interface HeldMemory {
  figure: SampleFigure;
  label: string;
  baseline: number;
  /** Median of the last samples. */
  end: number;
  /** end − baseline. */
  bytes: number;
}

export interface PlateauFacts {
  /** The load phase in which growth stopped. */
  window: string;
  /** Seconds into that phase, and its length. */
  stoppedAfterS: number;
  phaseS: number;
  /** Completed requests of the phase when it stopped, and in the whole phase. */
  stoppedAfterRequests?: number;
  phaseRequests?: number;
  /** RSS above its baseline where it levelled off, and at the end. */
  level: number;
  held: number;
  /** What holds it: live heap still referenced, memory outside the runtime, or not measured. */
  holder: 'live-heap' | 'outside-runtime' | 'unknown';
  /** The live heap figure still above its baseline, when sampled. */
  heapFigure?: DiagnosedFigure;
  heapHeld?: number;
}

// ─── retained per unit of work (retained.ts measures it) ────────────────────────────────

/** How the level at the end of a rest was read, in the order they are preferred. */
export type LevelFrom =
  /** The last sample after a collection the pack asked for (samples/3 collectedBy). */
  | 'forced-collection'
  /** The rest's minimum over its later half: a heap whose level counts garbage until a collection. */
  | 'rest-minimum'
  /** The median of the rest's last samples (endSamples): RSS, tasks, a live heap, a derived figure. */
  | 'rest-end-median';

export type RetainedShape =
  /** No burst retained anything beyond noise. */
  | 'nothing'
  /** The first burst retained something, the later ones nothing beyond noise: a cache or pool full. */
  | 'bounded'
  /** Each later burst retained less than half of what the first did, but still beyond noise. */
  | 'warm-up'
  /** The last burst retained at least half as much per request as the first, beyond noise: a leak. */
  | 'leak'
  /** One burst, and it retained something beyond noise: a leak or a cache that filled, one burst cannot tell. */
  | 'held'
  /**
   * The bursts disagree: one left nothing beyond noise and a later one did (a level read at the
   * wrong moment, a collection that came late). Not evidence of a leak, nor of a bound.
   */
  | 'uneven';

export interface BurstRetained {
  /** The burst and the rest after it. */
  burst: string;
  rest: string;
  /** Requests of this burst, and served by all bursts up to and including it. */
  requests: number;
  totalRequests: number;
  /** The figure at the end of the rest, above the level before the first burst. */
  retained: number;
  /** What this burst added to it (retained minus the previous burst's). */
  added: number;
}

export interface FigureRetained {
  key: DiagnosedFigure;
  label: string;
  unit: 'bytes' | 'count';
  /** What role the runtime profile gives it. */
  role: 'rss' | 'live-heap' | 'heap' | 'outside' | 'tasks';
  levelFrom: LevelFrom;
  /** The level at the end of the rest before the first burst (or the figure's baseline). */
  baseline: number;
  bursts: BurstRetained[];
  /**
   * Noise at rest: the largest robust spread (1.4826 × MAD) of the figure over the later half
   * of any rest, and the band an increment must exceed to count (NOISE_SIGMAS × √2 × it, at
   * least the floor): the difference of two levels carries the noise of both.
   */
  noise: number;
  band: number;
  shape: RetainedShape;
  /**
   * Retained per 1,000 requests by the bursts after the first (the first also carries the
   * process's warm-up), the median of their rates, with a 95% interval from the noise at rest;
   * with one burst, its own rate.
   */
  per1k: number;
  low: number;
  high: number;
}

export interface RetainedReport {
  /** How many bursts were followed by a rest, of the same process. */
  bursts: number;
  figures: FigureRetained[];
}
