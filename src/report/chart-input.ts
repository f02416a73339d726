/*
 * What the charts are drawn from: a run's records (or the live view's so far) and the parts of
 * its summary the titles use. Types only, so that both the chart definitions and the timeline
 * helpers can name them without importing each other.
 */
import type { LoadSecond, PhaseRecord, Probe, RunEvent, Sample } from '../rundir/schema.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

/** The parts of a run a chart is drawn from: RunData has them, and so does the live view's buffer. */
export interface ChartData {
  run: { phases: readonly Pick<PhaseRecord, 'name' | 'kind' | 'startT' | 'endT'>[] };
  samples: readonly Sample[];
  load: readonly LoadSecond[];
  probes: readonly Probe[];
  events: readonly RunEvent[];
}

/** The parts of a summary the charts' titles use. */
export type ChartSummary = Pick<SummaryFile, 'scenario' | 'target' | 'headline' | 'durationS' | 'load'>;
