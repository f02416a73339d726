import type { ChartDataset } from 'chart.js';
import type { SampleFigure } from '../rundir/schema.ts';
import {
  fixedWidth,
  lineLegend,
  plotPadding,
  type ChartData,
  type ChartOptions,
  type ChartSpec,
  type ChartSummary,
  type LineConfig,
  type Size,
} from './chart-style.ts';
import { downsample, DEFAULT_MAX_POINTS, type PlotPoint } from './downsample.ts';
import { phaseLabels, phaseSpans, timeAxis, timelineAnnotations, timeScale, wrap, type TimeAxis } from './timeline.ts';

export const MEMORY_CHART_SIZE: Size = { width: 1200, height: 700 };

const MIB = 1024 * 1024;

interface LineStyle {
  key: SampleFigure;
  label: string;
  color: string;
  width: number;
  dash?: number[];
  /** Counts go on the right-hand axis so they do not flatten the MiB lines. */
  axis: 'y' | 'y1';
}

/**
 * The OS's view in solid lines, the Go runtime's view dashed: the report's point is the gap
 * between the two, so they must be told apart at a glance, also in grey-scale print.
 */
const LINES: readonly LineStyle[] = [
  { key: 'vmRss', label: 'RSS (VmRSS)', color: '#1f77b4', width: 2.5, axis: 'y' },
  { key: 'processRss', label: 'RSS (process_resident_memory_bytes)', color: '#1f77b4', width: 2.5, axis: 'y' },
  { key: 'pss', label: 'PSS', color: '#2ca02c', width: 1.5, axis: 'y' },
  { key: 'cgroupMemory', label: 'cgroup memory', color: '#9467bd', width: 1.5, axis: 'y' },
  { key: 'heapInuse', label: 'Go heap in use', color: '#ff7f0e', width: 2, dash: [8, 4], axis: 'y' },
  // What the last GC marked live (from the heap goal): heap in use saws up to each goal above it.
  { key: 'liveHeap', label: 'Go live heap (after GC)', color: '#d62728', width: 1.5, dash: [2, 2], axis: 'y' },
  { key: 'stackInuse', label: 'Go stack in use', color: '#8c564b', width: 2, dash: [3, 3], axis: 'y' },
  { key: 'goSys', label: 'Go sys', color: '#7f7f7f', width: 2, dash: [12, 4, 3, 4], axis: 'y' },
  // Node.js (prom-client): a chart shows only the figures its run sampled, so no Go label
  // appears for a target without Go figures.
  { key: 'v8HeapUsed', label: 'V8 heap used', color: '#ff7f0e', width: 2, dash: [8, 4], axis: 'y' },
  { key: 'v8HeapTotal', label: 'V8 heap total', color: '#7f7f7f', width: 2, dash: [12, 4, 3, 4], axis: 'y' },
  { key: 'nodeExternal', label: 'Node external memory (Buffers)', color: '#8c564b', width: 2, dash: [3, 3], axis: 'y' },
  // JVM: heap committed is left out, the JVM commits its initial heap (1/64 of the machine's
  // memory) untouched, and a line that far above RSS would flatten the others.
  { key: 'jvmHeapUsed', label: 'Java heap used', color: '#ff7f0e', width: 2, dash: [8, 4], axis: 'y' },
  { key: 'jvmDirect', label: 'direct buffers', color: '#8c564b', width: 2, dash: [3, 3], axis: 'y' },
  {
    key: 'jvmThreads',
    label: 'Java threads (right axis)',
    color: 'rgba(23, 190, 207, 0.7)',
    width: 1,
    dash: [2, 3],
    axis: 'y1',
  },
  {
    key: 'goroutines',
    label: 'goroutines (right axis)',
    color: 'rgba(23, 190, 207, 0.7)',
    width: 1,
    dash: [2, 3],
    axis: 'y1',
  },
];

/** The right-hand axis in the words of the count it carries: goroutines for Go, threads for the JVM. */
function countAxisTitle(datasets: readonly ChartDataset<'line', PlotPoint[]>[]): string {
  const label = datasets.find((d) => d.yAxisID === 'y1')?.label ?? 'goroutines';
  return label.replace(/ \(right axis\)$/, '');
}

/**
 * RSS, PSS, cgroup memory and the Go runtime's figures over time, phases and target exits
 * marked: memory.png (charts.ts) and the interactive pages draw this one definition.
 */
export function memoryChart(data: ChartData, summary: ChartSummary, opts: ChartOptions = {}): ChartSpec {
  const endS = Math.max(summary.durationS, data.samples.at(-1)?.t ?? 0);
  const axis = timeAxis(endS);
  const spans = phaseSpans(data, endS);
  const datasets = memoryDatasets(data, axis, opts.maxPoints ?? DEFAULT_MAX_POINTS);
  const hasCounts = datasets.some((d) => d.yAxisID === 'y1');
  const empty = datasets.length === 0;
  const config: LineConfig = {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      normalized: true,
      layout: plotPadding(hasCounts),
      scales: {
        x: timeScale(axis),
        y: {
          type: 'linear',
          beginAtZero: true,
          grace: '5%',
          title: { display: true, text: 'memory (MiB)' },
          ticks: { display: !empty },
          grid: { display: !empty },
          afterFit: fixedWidth,
        },
        ...(hasCounts && {
          y1: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grace: '5%',
            title: { display: true, text: countAxisTitle(datasets) },
            grid: { drawOnChartArea: false },
            afterFit: fixedWidth,
          },
        }),
      },
      plugins: {
        title: {
          display: true,
          text: `${summary.scenario} · ${summary.target.label} — memory`,
          font: { size: 18, weight: 'bold' },
          padding: { top: 6, bottom: 4 },
        },
        subtitle: { display: true, text: wrap(summary.headline, 150), font: { size: 13 }, padding: { bottom: 8 } },
        legend: lineLegend(),
        annotation: { annotations: timelineAnnotations(data, spans, axis) },
      },
    },
  };
  return {
    config,
    plugins: [phaseLabels(spans, axis)],
    ...(empty && { noData: 'no memory samples in this run' }),
    spans,
    axis,
  };
}

function memoryDatasets(data: ChartData, axis: TimeAxis, maxPoints: number): ChartDataset<'line', PlotPoint[]>[] {
  const present = new Set(LINES.filter((l) => data.samples.some((s) => s[l.key] !== undefined)).map((l) => l.key));
  return (
    LINES.filter((l) => present.has(l.key))
      // process_resident_memory_bytes is VmRSS read through the target: draw it only in its place.
      .filter((l) => !(l.key === 'processRss' && present.has('vmRss')))
      .map((l) => {
        const scale = l.axis === 'y' ? MIB : 1;
        // A sample without this figure is left out, so a failed source shows as a straight bridge, not a drop to 0.
        const points = data.samples.flatMap((s) => {
          const v = s[l.key];
          return v === undefined ? [] : [{ x: s.t / axis.divisor, y: v / scale }];
        });
        return {
          label: l.label,
          data: downsample(points, maxPoints),
          borderColor: l.color,
          backgroundColor: l.color,
          borderWidth: l.width,
          borderDash: l.dash ?? [],
          pointRadius: points.length === 1 ? 3 : 0,
          tension: 0,
          yAxisID: l.axis,
        };
      })
  );
}
