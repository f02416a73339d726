import type { RunData } from '../rundir/read-run.ts';
import type { Sample } from '../rundir/schema.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { browserBundle, scriptJson } from './browser-bundle.ts';
import type { ChartData, ChartSummary } from './chart-style.ts';
import { loadSeconds } from './load-chart.ts';
import { withTargetName } from './target-name.ts';

/**
 * Samples embedded in index.html at most: a 90-minute run at 1 s is 5,400; beyond this the page
 * would grow past a few MB for detail no screen shows (a 1-hour run at 100 ms is thinned 2:1).
 */
export const MAX_EMBEDDED_SAMPLES = 20_000;

export interface InteractiveCharts {
  /** The bundled script (browser-bundle.ts). */
  script: string;
  /** The run data the charts are drawn from, as JSON safe inside a <script> element. */
  json: string;
}

/**
 * What index.html needs to draw the charts itself: the run's samples, per-second load (probes
 * turned into seconds here, as the load chart does, so a million probe records stay out of the
 * page), events and phase times, and the summary's titles.
 */
export function chartInput(data: RunData, summary: SummaryFile): { data: ChartData; summary: ChartSummary } {
  return {
    data: {
      run: {
        phases: data.run.phases.map((p) => ({
          name: p.name,
          kind: p.kind,
          ...(p.startT !== undefined && { startT: p.startT }),
          ...(p.endT !== undefined && { endT: p.endT }),
        })),
      },
      samples: thin(data.samples, MAX_EMBEDDED_SAMPLES),
      load: loadSeconds(data),
      probes: [],
      events: data.events,
    },
    summary: {
      scenario: summary.scenario,
      target: withTargetName(summary).target,
      headline: summary.headline,
      durationS: summary.durationS,
      // The histograms are for merging runs later, not for titles.
      load: summary.load.map(({ histogram: _h, ...rest }) => rest),
    },
  };
}

/**
 * Starts bundling the page's script (esbuild, in its own process, when running from source) so
 * that it is ready when the page is written; interactiveCharts then gets the same bundle, or
 * tries again and says why if this attempt failed.
 */
export function prepareInteractiveCharts(): void {
  browserBundle().catch(() => undefined);
}

export async function interactiveCharts(data: RunData, summary: SummaryFile): Promise<InteractiveCharts> {
  return { script: await browserBundle(), json: scriptJson(chartInput(data, summary)) };
}

/** Every k-th sample, first and last kept: even in time, so the chart's downsampling still sees the shape. */
function thin(samples: readonly Sample[], max: number): Sample[] {
  if (samples.length <= max) return [...samples];
  const step = samples.length / (max - 1);
  const out: Sample[] = [];
  for (let i = 0; i < max - 1; i++) out.push(samples[Math.floor(i * step)]!);
  out.push(samples.at(-1)!);
  return out;
}
