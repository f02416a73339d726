/**
 * The analysis's output contract: what `summary.json` holds. The analysis reads the run
 * directory's collection files (src/rundir/schema.ts) and writes this; the report, the
 * comparison, the CI step summary and `--fail-on` read it. Kept apart from the collection
 * schema so that collecting never depends on how a run is judged.
 */
import type { PhaseLoadSummary, RunEvent, RunStatus, SampleFigure, TargetInfo } from '../rundir/schema.ts';
import type { AllocSitesReport } from './alloc-sites.ts';
import type { Diagnosis } from './diagnosis.ts';

/**
 * 2: diagnosis.retained, memory retained per burst at rest; 3: allocationSites, where the
 * retained memory was allocated. An older file reads as a /3 without them.
 */
export const SUMMARY_SCHEMA = 'leakbench.summary/3';

export interface FigureSummary {
  key: SampleFigure;
  label: string;
  unit: 'bytes' | 'count';
  samples: number;
  start: number;
  peak: number;
  peakT: number;
  end: number;
  change: number;
}

export interface SummaryFile {
  schema: typeof SUMMARY_SCHEMA;
  scenario: string;
  status: RunStatus;
  target: TargetInfo;
  durationS: number;
  load: PhaseLoadSummary[];
  memory: FigureSummary[];
  warnings: string[];
  /** One-line plain-words statement about memory, e.g. "RSS grew 250 MiB (+780%) ...". */
  headline: string;
  /** `target-exit` events of the run, in time order (absent when the target never exited). */
  targetExits?: RunEvent[];
  /** Growth rates per figure and phase, where it grew (smaps), and one verdict with its evidence. */
  diagnosis?: Diagnosis;
  /** Figures from prometheus.ndjson (--prometheus-url), kept apart from the pack's own samples. */
  prometheusMemory?: FigureSummary[];
  /** Where the retained memory was allocated: sites diffed between rests' ends (summary/3). */
  allocationSites?: AllocSitesReport;
}
