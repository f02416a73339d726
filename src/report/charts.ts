import type { RunData } from '../rundir/read-run.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { drawSpec } from './chart-canvas.ts';
import type { Size } from './chart-style.ts';
import { loadChart, LOAD_CHART_SIZE } from './load-chart.ts';
import { memoryChart, MEMORY_CHART_SIZE } from './memory-chart.ts';
import { withTargetName } from './target-name.ts';
import { renderRetainedChart, retainedShown } from './retained-content.ts';
import { renderSitesChart, sitesChartShown } from './alloc-sites-content.ts';

export { loadChart, LOAD_CHART_SIZE } from './load-chart.ts';
export { memoryChart, MEMORY_CHART_SIZE } from './memory-chart.ts';

export interface ChartImages {
  memory: Buffer;
  load: Buffer;
  /** retained.png, for runs of two bursts or more (retained-content.ts). */
  retained?: Buffer;
  /** sites.png, for runs with allocation sites that grew (alloc-sites-content.ts). */
  sites?: Buffer;
}

/** memory.png: the memory chart's one definition (memory-chart.ts), drawn on a canvas without a browser. */
export function renderMemoryChart(
  data: RunData,
  summary: SummaryFile,
  size: Size = MEMORY_CHART_SIZE,
): Promise<Buffer> {
  return drawSpec(memoryChart(data, withTargetName(summary)), size);
}

/** load.png, likewise from load-chart.ts. */
export function renderLoadChart(data: RunData, summary: SummaryFile, size: Size = LOAD_CHART_SIZE): Promise<Buffer> {
  return drawSpec(loadChart(data, withTargetName(summary)), size);
}

/** Both PNGs of a run, drawn from its data only. */
export async function renderCharts(data: RunData, summary: SummaryFile): Promise<ChartImages> {
  const retained = summary.diagnosis?.retained;
  // Drawn one after the other, as before; the memory chart's PNG is encoded (off the main
  // thread) while the load chart is drawn.
  const [memory, load] = await Promise.all([renderMemoryChart(data, summary), renderLoadChart(data, summary)]);
  return {
    memory,
    load,
    ...(retainedShown(retained) && { retained: await renderRetainedChart(retained) }),
    ...(summary.allocationSites &&
      sitesChartShown(summary.allocationSites) && { sites: await renderSitesChart(summary.allocationSites) }),
  };
}
