import { Chart, registerables, type ChartConfiguration, type LegendOptions, type Plugin } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import type { PlotPoint } from './downsample.ts';
import type { PhaseSpan, TimeAxis } from './timeline.ts';

/*
 * What a chart is, apart from where it is drawn: the PNG renderer (chart-canvas.ts, on
 * @napi-rs/canvas) and the interactive pages (browser/, bundled into index.html and the live
 * view) both draw the configurations built from this module's types, so the two cannot drift.
 * Nothing here may touch Node or the DOM.
 */
Chart.register(...registerables, annotationPlugin);
// The fonts Chart.js asks for by default are rarely on a Linux CI box; DejaVu usually is.
Chart.defaults.font.family = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";
Chart.defaults.font.size = 13;
Chart.defaults.color = '#333';

export type LineConfig = ChartConfiguration<'line', PlotPoint[]>;

export interface Size {
  width: number;
  height: number;
}

export type { ChartData, ChartSummary } from './chart-input.ts';

export interface ChartOptions {
  /** Points per series after downsampling: about the PNG's width; more in the browser, where one can zoom. */
  maxPoints?: number;
}

/** One chart: its Chart.js configuration, the plugins drawn with it, and the timeline it shares. */
export interface ChartSpec {
  config: LineConfig;
  plugins: Plugin<'line'>[];
  /** Written across the plot when there is nothing to draw. */
  noData?: string;
  spans: PhaseSpan[];
  axis: TimeAxis;
}

export function noDataNote(text: string): Plugin<'line'> {
  return {
    id: 'leakbenchNoData',
    afterDraw(chart) {
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.fillStyle = '#666';
      ctx.font = `16px ${String(Chart.defaults.font.family)}`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, (chartArea.left + chartArea.right) / 2, (chartArea.top + chartArea.bottom) / 2);
      ctx.restore();
    },
  };
}

/** The plugins a spec is drawn with, the no-data note included. */
export function specPlugins(spec: ChartSpec): Plugin<'line'>[] {
  return spec.noData === undefined ? spec.plugins : [...spec.plugins, noDataNote(spec.noData)];
}

/**
 * A fixed y-axis width, so the plot areas of memory.png and load.png start and end at the same
 * pixel and a moment can be read across both.
 */
export const Y_AXIS_WIDTH = 78;

/** Padding that stands in for a missing right-hand axis, so plot areas line up across charts. */
export function plotPadding(hasRightAxis: boolean) {
  return { padding: { right: hasRightAxis ? 4 : 4 + Y_AXIS_WIDTH, left: 4, top: 4, bottom: 4 } };
}

export function fixedWidth(scale: { width: number }): void {
  scale.width = Y_AXIS_WIDTH;
}

/**
 * Legend entries drawn as short lines in each dataset's own width and dash. With point-style
 * legends Chart.js takes the style from the (invisible) points, which loses the dashes that
 * tell the Go runtime's figures apart from the OS's.
 */
export function lineLegend(): LegendOptions<'line'> {
  const base = Chart.defaults.plugins.legend;
  return {
    ...base,
    position: 'top',
    labels: {
      ...base.labels,
      usePointStyle: true,
      pointStyle: 'line',
      pointStyleWidth: 40,
      padding: 14,
      generateLabels(chart) {
        return base.labels.generateLabels(chart).map((item) => {
          const ds = chart.data.datasets[item.datasetIndex ?? -1];
          if (ds === undefined) return item;
          const dash = 'borderDash' in ds && Array.isArray(ds.borderDash) ? (ds.borderDash as number[]) : [];
          const width = 'borderWidth' in ds && typeof ds.borderWidth === 'number' ? Math.max(ds.borderWidth, 1.5) : 2;
          const color = typeof ds.borderColor === 'string' ? ds.borderColor : item.strokeStyle;
          return { ...item, lineDash: dash, lineWidth: width, strokeStyle: color };
        });
      },
    },
  } as LegendOptions<'line'>;
}
