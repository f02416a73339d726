/*
 * Entry point of the script inlined into index.html and the live view (bundled by esbuild in
 * browser-bundle.ts). It sets window.leakbench, which the pages call and the browser tests read.
 */
import type { ChartData, ChartSummary } from '../chart-style.ts';
import { drawCharts, specsOf, type Mounted } from './interactive-charts.ts';
import { mountLive, type LiveCounters } from './live-page.ts';

/** index.html: the charts from the run data embedded in the page. */
function mountReport(doc: Document): Mounted {
  const el = doc.getElementById('leakbench-chart-data');
  const input = JSON.parse(el?.textContent ?? '{}') as { data: ChartData; summary: ChartSummary };
  const charts = drawCharts(doc, specsOf(input.data, input.summary), leakbench);
  leakbench.charts = charts;
  doc.body.dataset.charts = 'ready';
  return charts;
}

/** What the pages expose, for a person at the console and for the browser tests. */
export interface LeakbenchGlobal {
  mountReport: typeof mountReport;
  mountLive: (doc: Document) => void;
  charts?: Mounted;
  live?: LiveCounters;
}

const leakbench: LeakbenchGlobal = { mountReport, mountLive: (doc: Document) => mountLive(doc, leakbench) };
(globalThis as unknown as { leakbench: LeakbenchGlobal }).leakbench = leakbench;
