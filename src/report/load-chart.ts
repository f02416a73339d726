import type { ChartDataset, ScriptableContext } from 'chart.js';
import { formatCount, formatMs, formatRate } from '../analyse/format.ts';
import { percentile } from '../analyse/stats.ts';
import type { LoadSecond, Probe } from '../rundir/schema.ts';
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
import { DEFAULT_MAX_POINTS, downsampleSegments, splitAtGaps, type PlotPoint, type Point } from './downsample.ts';
import { phaseLabels, phaseSpans, timeAxis, timelineAnnotations, timeScale, wrap, type TimeAxis } from './timeline.ts';

export const LOAD_CHART_SIZE: Size = { width: 1200, height: 500 };

/** More than this between two seconds of one phase is a pause, not a line to draw across. */
const GAP_S = 2.5;

/**
 * Completed requests per second and latency per second, on the same time axis as the memory
 * chart: load.png (charts.ts) and the interactive pages draw this one definition.
 */
export function loadChart(data: ChartData, summary: ChartSummary, opts: ChartOptions = {}): ChartSpec {
  const seconds = loadSeconds(data);
  const endS = Math.max(summary.durationS, seconds.at(-1)?.t ?? 0);
  const axis = timeAxis(endS);
  const spans = phaseSpans(data, endS);
  const log = needsLogScale(seconds);
  const datasets = loadDatasets(seconds, axis, log, opts.maxPoints ?? DEFAULT_MAX_POINTS);
  const empty = datasets.length === 0;
  const hasLatency = datasets.some((d) => d.yAxisID === 'y1');
  const config: LineConfig = {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      normalized: true,
      layout: plotPadding(hasLatency),
      scales: {
        x: timeScale(axis),
        y: log
          ? {
              type: 'logarithmic',
              min: 0.5,
              title: { display: true, text: 'requests per second (log scale)' },
              ticks: { callback: (v) => (Number(v) >= 1 ? formatCount(Number(v)) : String(v)) },
              afterFit: fixedWidth,
            }
          : {
              type: 'linear',
              beginAtZero: true,
              grace: '5%',
              title: { display: true, text: 'requests per second' },
              ticks: { display: !empty },
              grid: { display: !empty },
              afterFit: fixedWidth,
            },
        ...(hasLatency && {
          y1: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grace: '5%',
            title: { display: true, text: 'latency (ms)' },
            grid: { drawOnChartArea: false },
            afterFit: fixedWidth,
          },
        }),
      },
      plugins: {
        title: {
          display: true,
          text: `${summary.scenario} · ${summary.target.label} — load`,
          font: { size: 18, weight: 'bold' },
          padding: { top: 6, bottom: 4 },
        },
        subtitle: {
          display: summary.load.length > 0,
          text: wrap(loadSubtitle(summary), 160),
          font: { size: 13 },
          padding: { bottom: 8 },
        },
        legend: lineLegend(),
        annotation: { annotations: timelineAnnotations(data, spans, axis) },
      },
    },
  };
  return {
    config,
    plugins: [phaseLabels(spans, axis)],
    ...(empty && { noData: 'no load recorded in this run' }),
    spans,
    axis,
  };
}

/**
 * A burst of thousands a second next to probes at one a second flattens the probes onto the
 * axis; past two decades between the busiest and the quietest second, a log scale shows both.
 */
function needsLogScale(seconds: readonly LoadSecond[]): boolean {
  let min = Infinity;
  let max = 0;
  for (const s of seconds) {
    if (s.completed <= 0) continue;
    min = Math.min(min, s.completed);
    max = Math.max(max, s.completed);
  }
  return max > 0 && max / min >= 100;
}

/** load.ndjson, plus seconds rebuilt from probes for any phase that has probes but no seconds. */
export function loadSeconds(data: Pick<ChartData, 'load' | 'probes'>): LoadSecond[] {
  const withSeconds = new Set(data.load.map((l) => l.phase));
  const fromProbes = secondsFromProbes(data.probes.filter((p) => !withSeconds.has(p.phase)));
  return [...data.load, ...fromProbes].sort((a, b) => a.t - b.t);
}

function secondsFromProbes(probes: readonly Probe[]): LoadSecond[] {
  const buckets = new Map<string, { phase: string; t: number; probes: Probe[] }>();
  for (const p of probes) {
    const t = Math.floor(p.sentT) + 1;
    const key = `${p.phase}\u0000${t}`;
    const b = buckets.get(key) ?? { phase: p.phase, t, probes: [] };
    b.probes.push(p);
    buckets.set(key, b);
  }
  return [...buckets.values()].map(({ phase, t, probes: ps }) => {
    const latencies = ps
      .flatMap((p) => (p.status !== undefined && p.latencyMs !== undefined ? [p.latencyMs] : []))
      .sort((a, b) => a - b);
    const failed = ps.filter((p) => p.status === undefined && p.error !== undefined);
    const second: LoadSecond = {
      phase,
      t,
      completed: ps.filter((p) => p.status !== undefined).length,
      errors: failed.length,
      timeouts: failed.filter((p) => /timeout|timed out|ETIMEDOUT/i.test(p.error ?? '')).length,
      non2xx: ps.filter((p) => p.status !== undefined && (p.status < 200 || p.status > 299)).length,
    };
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    if (p50 !== undefined) second.p50 = p50;
    if (p99 !== undefined) second.p99 = p99;
    return second;
  });
}

interface SeriesStyle {
  label: string;
  value: (s: LoadSecond) => number | undefined;
  color: string;
  width: number;
  dash?: number[];
  fill?: boolean;
  axis: 'y' | 'y1';
  /** Error series are drawn only when something went wrong, so a clean run's chart stays clean. */
  onlyIfNonZero?: boolean;
}

const SERIES: readonly SeriesStyle[] = [
  { label: 'completed/s', value: (s) => s.completed, color: '#1f77b4', width: 1.5, fill: true, axis: 'y' },
  {
    label: 'errors/s (incl. timeouts)',
    value: (s) => s.errors,
    color: '#d62728',
    width: 1.5,
    axis: 'y',
    onlyIfNonZero: true,
  },
  { label: 'non-2xx/s', value: (s) => s.non2xx, color: '#e377c2', width: 1.5, axis: 'y', onlyIfNonZero: true },
  { label: 'latency p50 (right axis)', value: (s) => s.p50, color: '#2ca02c', width: 1.5, dash: [6, 3], axis: 'y1' },
  { label: 'latency p99 (right axis)', value: (s) => s.p99, color: '#9467bd', width: 1.5, dash: [2, 2], axis: 'y1' },
];

function loadDatasets(
  seconds: readonly LoadSecond[],
  axis: TimeAxis,
  log: boolean,
  maxPoints: number,
): ChartDataset<'line', PlotPoint[]>[] {
  const phases = [...new Set(seconds.map((s) => s.phase))];
  return SERIES.flatMap((style) => {
    const segments = phases.flatMap((phase) => {
      // Plotted at the middle of the second each bucket counts.
      const points: Point[] = seconds.flatMap((s) => {
        const v = s.phase === phase ? style.value(s) : undefined;
        // A log axis has no zero: such seconds are left out (a gap) rather than drawn wrong.
        if (v === undefined || (log && style.axis === 'y' && v <= 0)) return [];
        return [{ x: Math.max(0, s.t - 0.5) / axis.divisor, y: v }];
      });
      return splitAtGaps(points, GAP_S / axis.divisor);
    });
    if (segments.every((seg) => seg.length === 0)) return [];
    if (style.onlyIfNonZero && segments.every((seg) => seg.every((p) => p.y === 0))) return [];
    const data = downsampleSegments(segments, maxPoints);
    return [
      {
        label: style.label,
        data,
        borderColor: style.color,
        backgroundColor: style.fill ? 'rgba(31, 119, 180, 0.22)' : style.color,
        fill: style.fill ? 'origin' : false,
        borderWidth: style.width,
        borderDash: style.dash ?? [],
        // Error counts are tiny next to completions: mark every second that had any.
        pointRadius: style.onlyIfNonZero
          ? (ctx: ScriptableContext<'line'>) => (isNonZero(ctx.raw) ? 3 : 0)
          : data.length <= 3
            ? 3
            : 0,
        spanGaps: false,
        tension: 0,
        yAxisID: style.axis,
      },
    ];
  });
}

function isNonZero(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'y' in raw && typeof raw.y === 'number' && raw.y !== 0;
}

/** "warmup: 10,000 responses at 9,812/s, p99 3.10 ms · idle: 3,600 responses at 1.00/s, p99 1.20 ms". */
function loadSubtitle(summary: ChartSummary): string {
  return summary.load
    .map((l) => {
      const p99 = l.latency ? `, p99 ${formatMs(l.latency.p99)}` : '';
      const bad =
        l.errors + l.non2xx > 0
          ? `, ${formatCount(l.errors)} error${l.errors === 1 ? '' : 's'}, ${formatCount(l.non2xx)} non-2xx`
          : '';
      return `${l.phase}: ${formatCount(l.completed)} responses at ${formatRate(l.rate)}${p99}${bad}`;
    })
    .join(' · ');
}
