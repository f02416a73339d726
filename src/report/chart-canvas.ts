import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin } from 'chart.js';
import { noDataNote, specPlugins, type ChartSpec, type LineConfig, type Size } from './chart-style.ts';

/*
 * Chart.js drawn on @napi-rs/canvas: no browser, no DOM. Chart.js picks its "basic" platform
 * when there is no `window`, which only needs a 2d context with the canvas API.
 */
export { fixedWidth, lineLegend, plotPadding, Y_AXIS_WIDTH, type LineConfig, type Size } from './chart-style.ts';

export interface ChartExtras {
  /** Written across an empty chart. */
  noData?: string;
  plugins?: Plugin<'line'>[];
}

/** PNG of `config` drawn on a white canvas; `noData` is written across an empty chart. */
export async function drawChart(config: LineConfig, size: Size, extra: ChartExtras = {}): Promise<Buffer> {
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d');
  const plugins: Plugin<'line'>[] = [whiteBackground, ...(extra.plugins ?? [])];
  if (extra.noData !== undefined) plugins.push(noDataNote(extra.noData));
  const chart = new Chart(
    ctx as unknown as ConstructorParameters<typeof Chart>[0],
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
      plugins: [...(config.plugins ?? []), ...plugins],
    } as ChartConfiguration<'line'>,
  );
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

export type BarConfig = ChartConfiguration<'bar', number[], string>;

/** PNG of a bar chart on a white canvas (the allocation sites' chart). */
export async function drawBarChart(config: BarConfig, size: Size): Promise<Buffer> {
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d');
  const chart = new Chart(ctx as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [...(config.plugins ?? []), whiteBackground as unknown as Plugin<'bar'>],
  });
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

/** PNG of a chart spec (memory-chart.ts, load-chart.ts): the same spec the interactive pages draw. */
export function drawSpec(spec: ChartSpec, size: Size): Promise<Buffer> {
  return drawChart(spec.config, size, { plugins: specPlugins(spec) });
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
