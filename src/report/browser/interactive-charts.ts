/*
 * The charts of the interactive report and the live view: the same definitions as the PNGs
 * (memory-chart.ts, load-chart.ts), plus what a screen can do and a PNG cannot: zoom and pan on
 * time, tooltips with values and the phase, series toggles.
 */
import { Chart, type ChartConfiguration, type Plugin, type TooltipItem } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';
import { specPlugins, type ChartData, type ChartSpec, type ChartSummary, type Size } from '../chart-style.ts';
import { loadChart, LOAD_CHART_SIZE } from '../load-chart.ts';
import { memoryChart, MEMORY_CHART_SIZE } from '../memory-chart.ts';

// Its types resolve to the module namespace under NodeNext; the bundle gets the plugin itself.
Chart.register(zoomPlugin as unknown as Plugin);

/** Points per series in the browser: enough to zoom into a burst of a long run and still see its shape. */
export const BROWSER_MAX_POINTS = 6000;

export interface Mounted {
  memory: Chart<'line'>;
  load: Chart<'line'>;
}

/** Where the page keeps its current charts (window.leakbench). */
export interface ChartsHolder {
  charts?: Mounted;
}

export interface Specs {
  memory: ChartSpec;
  load: ChartSpec;
}

/** The x range shown, in seconds, or undefined when the whole run is. */
type Range = { minS: number; maxS: number } | undefined;

function timeTitle(items: TooltipItem<'line'>[], spec: ChartSpec): string {
  const x = items[0]?.parsed.x;
  if (x === undefined || x === null) return '';
  const s = x * spec.axis.divisor;
  return s >= 120
    ? `t = ${Math.floor(s / 60)} min ${(s % 60).toFixed(0)} s (${s.toFixed(1)} s)`
    : `t = ${s.toFixed(2)} s`;
}

function phaseAt(items: TooltipItem<'line'>[], spec: ChartSpec): string {
  const x = items[0]?.parsed.x;
  if (x === undefined || x === null) return '';
  const s = x * spec.axis.divisor;
  const span = [...spec.spans].reverse().find((p) => s >= p.startS && s <= p.endS);
  return span ? `phase: ${span.name} (${span.kind})` : 'phase: none (before, between or after the phases)';
}

function valueLabel(item: TooltipItem<'line'>): string {
  const y = item.parsed.y;
  if (y === null || y === undefined) return '';
  const axisId = (item.dataset as { yAxisID?: string }).yAxisID ?? 'y';
  const title = (item.chart.scales[axisId]?.options as { title?: { text?: unknown } } | undefined)?.title;
  const unit = title && typeof title.text === 'string' ? (/\(([^)]+)\)/.exec(title.text)?.[1] ?? '') : '';
  const shown = Math.abs(y) >= 100 ? y.toFixed(0) : Math.abs(y) >= 10 ? y.toFixed(1) : y.toFixed(2);
  return `${item.dataset.label ?? ''}: ${shown}${unit && !unit.startsWith('log') ? ` ${unit}` : ''}`;
}

function interactiveConfig(
  spec: ChartSpec,
  size: Size,
  onRange: (chart: Chart<'line'>) => void,
): ChartConfiguration<'line'> {
  const cfg = spec.config;
  const options = cfg.options ?? {};
  return {
    ...cfg,
    options: {
      ...options,
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: size.width / size.height,
      animation: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        ...options.plugins,
        tooltip: {
          callbacks: {
            title: (items) => timeTitle(items, spec),
            label: valueLabel,
            footer: (items) => phaseAt(items, spec),
          },
        },
        zoom: {
          // The other chart follows at every step, not only once the gesture has settled.
          zoom: {
            wheel: { enabled: true },
            pinch: { enabled: true },
            drag: { enabled: true, modifierKey: 'shift' },
            mode: 'x',
            onZoom: ({ chart }) => onRange(chart as Chart<'line'>),
            onZoomComplete: ({ chart }) => onRange(chart as Chart<'line'>),
          },
          pan: {
            enabled: true,
            mode: 'x',
            onPan: ({ chart }) => onRange(chart as Chart<'line'>),
            onPanComplete: ({ chart }) => onRange(chart as Chart<'line'>),
          },
          limits: { x: { min: 0, max: spec.axis.max, minRange: spec.axis.max / 2000 } },
        },
      },
    },
    plugins: [...(cfg.plugins ?? []), ...specPlugins(spec)],
  } as ChartConfiguration<'line'>;
}

function currentRange(chart: Chart<'line'>, spec: ChartSpec): Range {
  if (!chart.isZoomedOrPanned()) return undefined;
  const x = chart.scales.x;
  return x ? { minS: x.min * spec.axis.divisor, maxS: x.max * spec.axis.divisor } : undefined;
}

/**
 * Draws (or redraws) both charts into their canvases. A redraw keeps what the reader chose:
 * the zoomed range and the hidden series.
 */
export function drawCharts(
  doc: Document,
  specs: Specs,
  holder: ChartsHolder,
  previous?: { mounted: Mounted; specs: Specs },
): Mounted {
  let syncing = false;
  const byName = {} as Mounted;
  const sync = (from: Chart<'line'>) => {
    if (syncing) return;
    syncing = true;
    try {
      const fromSpec = from === byName.memory ? specs.memory : specs.load;
      const to = from === byName.memory ? byName.load : byName.memory;
      const toSpec = from === byName.memory ? specs.load : specs.memory;
      const x = from.scales.x;
      if (to && x)
        to.zoomScale(
          'x',
          {
            min: (x.min * fromSpec.axis.divisor) / toSpec.axis.divisor,
            max: (x.max * fromSpec.axis.divisor) / toSpec.axis.divisor,
          },
          'none',
        );
    } finally {
      syncing = false;
    }
  };
  for (const [name, size] of [
    ['memory', MEMORY_CHART_SIZE],
    ['load', LOAD_CHART_SIZE],
  ] as const) {
    const canvas = doc.getElementById(`${name}-chart`) as HTMLCanvasElement;
    const spec = specs[name];
    const old = previous?.mounted[name];
    const range = old ? currentRange(old, previous!.specs[name]) : undefined;
    const hidden = new Set<string>();
    if (old) {
      old.data.datasets.forEach((d, i) => {
        if (!old.isDatasetVisible(i) && d.label) hidden.add(d.label);
      });
      old.destroy();
    }
    const chart = new Chart(canvas, interactiveConfig(spec, size, sync));
    chart.data.datasets.forEach((d, i) => {
      if (d.label && hidden.has(d.label)) chart.setDatasetVisibility(i, false);
    });
    if (range)
      chart.zoomScale('x', { min: range.minS / spec.axis.divisor, max: range.maxS / spec.axis.divisor }, 'none');
    else if (hidden.size > 0) chart.update('none');
    if (!old) {
      canvas.addEventListener('dblclick', () => {
        const m = holder.charts;
        m?.memory.resetZoom('none');
        m?.load.resetZoom('none');
      });
    }
    byName[name] = chart;
  }
  return byName;
}

export function specsOf(data: ChartData, summary: ChartSummary): Specs {
  return {
    memory: memoryChart(data, summary, { maxPoints: BROWSER_MAX_POINTS }),
    load: loadChart(data, summary, { maxPoints: BROWSER_MAX_POINTS }),
  };
}
