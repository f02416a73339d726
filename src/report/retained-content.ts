import type { FigureRetained, RetainedReport } from '../analyse/diagnosis.ts';
import { formatCount, formatFigure, formatSignedBytes, formatSignedCount } from '../analyse/format.ts';
import { drawChart, type LineConfig, type Size } from './chart-canvas.ts';
import type { Table } from './tables.ts';

/**
 * Memory retained after each burst (summary.json's diagnosis.retained) as a table and a chart
 * for summary.md and index.html: what each figure holds at the end of each rest above its level
 * before the first burst, against the requests served. Shown for runs of two bursts or more,
 * where it decides the verdict.
 */

export const RETAINED_PNG = 'retained.png';
export const RETAINED_CHART_SIZE: Size = { width: 1200, height: 420 };

export function retainedShown(r: RetainedReport | undefined): r is RetainedReport {
  return r !== undefined && r.bursts >= 2;
}

export function retainedTable(r: RetainedReport): Table {
  const rows = r.figures.flatMap((f) =>
    f.bursts.map((b, i) => [
      i === 0 ? f.label : '',
      b.burst,
      formatCount(b.totalRequests),
      amount(f, b.retained),
      amount(f, b.added),
      i === f.bursts.length - 1
        ? `${f.shape} (noise band ${formatFigure(f.band, f.unit)}; ${amount(f, f.per1k)} per 1,000 requests)`
        : '',
    ]),
  );
  return {
    head: ['Figure', 'After', 'Requests served', 'Retained at rest', 'This burst', 'Shape'],
    rows,
    numeric: [false, false, true, true, true, false],
  };
}

export const RETAINED_CAPTION =
  'Each figure at the end of the rest after each burst, above its level at the end of the rest before the first burst. A leak retains about the same again after every burst; a cache or pool nothing more once full; a warm-up less each time.';

/** Retained MiB (bytes figures) against requests served, from 0 before the first burst. */
export function retainedChart(r: RetainedReport): LineConfig {
  const colours = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const figures = r.figures.filter((f) => f.unit === 'bytes');
  return {
    type: 'line',
    data: {
      datasets: figures.map((f, i) => ({
        label: `${f.label} (${f.shape})`,
        data: [{ x: 0, y: 0 }, ...f.bursts.map((b) => ({ x: b.totalRequests, y: b.retained / 2 ** 20 }))],
        borderColor: colours[i % colours.length],
        backgroundColor: colours[i % colours.length],
        pointRadius: 5,
        borderWidth: 2,
      })),
    },
    options: {
      parsing: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'requests served (bursts)' }, beginAtZero: true },
        y: { title: { display: true, text: 'retained at rest above before (MiB)' } },
      },
      plugins: { title: { display: true, text: 'Memory retained after each burst, at rest' } },
    },
  };
}

export function renderRetainedChart(r: RetainedReport, size: Size = RETAINED_CHART_SIZE): Promise<Buffer> {
  return drawChart(retainedChart(r), size);
}

function amount(f: FigureRetained, v: number): string {
  return f.unit === 'bytes' ? formatSignedBytes(v) : formatSignedCount(v);
}
