import type { RunData } from '../rundir/read-run.ts';

import { renderLoadChart } from './load-chart.ts';
import { renderMemoryChart } from './memory-chart.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

export { renderLoadChart, loadChart, LOAD_CHART_SIZE } from './load-chart.ts';
export { renderMemoryChart, memoryChart, MEMORY_CHART_SIZE } from './memory-chart.ts';

export interface ChartImages {
  memory: Buffer;
  load: Buffer;
}

/** Both PNGs of a run, drawn from its data only. */
export async function renderCharts(data: RunData, summary: SummaryFile): Promise<ChartImages> {
  return { memory: await renderMemoryChart(data, summary), load: await renderLoadChart(data, summary) };
}
