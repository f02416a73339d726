import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type LegendOptions, type Plugin } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import type { PlotPoint } from './downsample.ts';

/*
 * Chart.js drawn on @napi-rs/canvas: no browser, no DOM. Chart.js picks its "basic" platform
 * when there is no `window`, which only needs a 2d context with the canvas API.
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

export interface ChartExtras {
  /** Written across an empty chart. */
  noData?: string;
  plugins?: Plugin<'line'>[];
}

/** A chart before it is drawn. */
export interface ChartSpec {
  config: LineConfig;
  extra: ChartExtras;
}

/** PNG of `config` drawn on a white canvas; `noData` is written across an empty chart. */
export async function drawChart(config: LineConfig, size: Size, extra: ChartExtras = {}): Promise<Buffer> {
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d');
  const plugins: Plugin<'line'>[] = [whiteBackground, ...(extra.plugins ?? [])];
  if (extra.noData !== undefined) plugins.push(noDataNote(extra.noData));
  const chart = new Chart(ctx as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [...(config.plugins ?? []), ...plugins],
  } as LineConfig);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

/** PNGs are transparent by default, which reads as black in some viewers and issue trackers. */
const whiteBackground: Plugin<'line'> = {
  id: 'leakbenchWhiteBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

function noDataNote(text: string): Plugin<'line'> {
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
