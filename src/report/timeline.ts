import { Chart, type Plugin } from 'chart.js';
import type { ChartData } from './chart-input.ts';
import type { PhaseKind } from '../rundir/schema.ts';

/**
 * What the memory and load charts share: one time axis, and the phases and target exits marked
 * on it, so the two pictures line up when read one above the other.
 */

export interface TimeAxis {
  /** Divide seconds by this to get axis units. */
  divisor: number;
  title: string;
  /** Axis end in axis units. */
  max: number;
}

/** Minutes once a run is longer than five minutes: hundreds of seconds are hard to read. */
export function timeAxis(endS: number): TimeAxis {
  const minutes = endS > 300;
  const divisor = minutes ? 60 : 1;
  return {
    divisor,
    title: minutes ? 'time since start (min)' : 'time since start (s)',
    max: Math.max(endS, 1) / divisor,
  };
}

/** The x axis every chart shares: from 0 to the run's end, without an odd tick at the end. */
export function timeScale(axis: TimeAxis) {
  return {
    type: 'linear' as const,
    min: 0,
    max: axis.max,
    title: { display: true, text: axis.title },
    ticks: { includeBounds: false },
  };
}

export interface PhaseSpan {
  name: string;
  kind: PhaseKind;
  startS: number;
  endS: number;
}

/**
 * Where each phase ran, from run.json, else from the phase events; a phase with a start but
 * no end was cut short and is drawn to the end of the run.
 */
export function phaseSpans(data: Pick<ChartData, 'run' | 'events'>, runEndS: number): PhaseSpan[] {
  const eventT = (type: 'phase-start' | 'phase-end', name: string): number | undefined =>
    data.events.find((e) => e.type === type && e.phase === name)?.t;
  return data.run.phases.flatMap((p) => {
    const startS = p.startT ?? eventT('phase-start', p.name);
    if (startS === undefined) return [];
    const endS = p.endT ?? eventT('phase-end', p.name) ?? runEndS;
    return [{ name: p.name, kind: p.kind, startS, endS: Math.max(startS, endS) }];
  });
}

/*
 * chartjs-plugin-annotation's own types do not resolve under NodeNext (its .d.ts re-exports
 * have no file extensions) and degrade to `any`; these are the shapes used here, so the
 * compiler still checks them.
 */
interface BoxMark {
  type: 'box';
  xMin: number;
  xMax: number;
  backgroundColor: string;
  borderColor: string;
  borderWidth: number;
  drawTime: 'beforeDatasetsDraw';
}

interface LineMark {
  type: 'line';
  xMin: number;
  xMax: number;
  borderColor: string;
  borderWidth: number;
  drawTime: 'afterDatasetsDraw';
  label: {
    display: boolean;
    content: string;
    position: 'start' | 'center' | 'end';
    backgroundColor: string;
    color: string;
    font: { size: number };
    padding: number;
    yAdjust: number;
  };
}

export type TimelineMark = BoxMark | LineMark;

const PHASE_FILL = {
  idle: 'rgba(31, 119, 180, 0.07)',
  burst: 'rgba(255, 127, 14, 0.09)',
  steady: 'rgba(44, 160, 44, 0.08)',
} as const;
const PHASE_EDGE = {
  idle: 'rgba(31, 119, 180, 0.35)',
  burst: 'rgba(255, 127, 14, 0.45)',
  steady: 'rgba(44, 160, 44, 0.4)',
} as const;

/** Shaded boxes for phases and red lines for target exits, as chartjs-plugin-annotation items. */
export function timelineAnnotations(
  data: Pick<ChartData, 'events'>,
  spans: readonly PhaseSpan[],
  axis: TimeAxis,
): Record<string, TimelineMark> {
  const out: Record<string, TimelineMark> = {};
  spans.forEach((s, i) => {
    out[`phase${i}`] = {
      type: 'box',
      xMin: s.startS / axis.divisor,
      xMax: s.endS / axis.divisor,
      // A kind without a colour of its own (a watched phase) is drawn as memory at rest.
      backgroundColor: PHASE_FILL[s.kind as keyof typeof PHASE_FILL] ?? PHASE_FILL.idle,
      borderColor: PHASE_EDGE[s.kind as keyof typeof PHASE_EDGE] ?? PHASE_EDGE.idle,
      borderWidth: 1,
      drawTime: 'beforeDatasetsDraw',
    };
  });
  data.events
    .filter((e) => e.type === 'target-exit')
    .forEach((e, i) => {
      out[`exit${i}`] = {
        type: 'line',
        xMin: e.t / axis.divisor,
        xMax: e.t / axis.divisor,
        borderColor: '#d62728',
        borderWidth: 2,
        drawTime: 'afterDatasetsDraw',
        label: {
          display: true,
          content: e.oomKill ? 'OOM kill' : exitLabel(e.code, e.signal),
          position: 'end',
          backgroundColor: 'rgba(214, 39, 40, 0.85)',
          color: '#fff',
          font: { size: 11 },
          padding: 3,
          yAdjust: -4,
        },
      };
    });
  return out;
}

function exitLabel(code: number | null | undefined, signal: string | null | undefined): string {
  if (signal) return `target exit (${signal})`;
  if (code !== undefined && code !== null) return `target exit (code ${code})`;
  return 'target exit';
}

/**
 * Phase names along the top of the plot. Drawn by hand rather than as annotation labels so
 * that names of short phases next to each other move down a row instead of overprinting.
 */
export function phaseLabels(spans: readonly PhaseSpan[], axis: TimeAxis): Plugin<'line'> {
  return {
    id: 'leakbenchPhaseLabels',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const x = chart.scales.x;
      if (!x) return;
      ctx.save();
      ctx.font = `11px ${String(Chart.defaults.font.family)}`;
      ctx.textBaseline = 'top';
      const rowRight: number[] = [];
      for (const s of spans) {
        const text = `${s.name} (${s.kind})`;
        const width = ctx.measureText(text).width + 8;
        const left = Math.min(
          Math.max(x.getPixelForValue(s.startS / axis.divisor) + 2, chartArea.left + 2),
          chartArea.right - width - 2,
        );
        let row = rowRight.findIndex((right) => right + 4 <= left);
        if (row === -1) row = rowRight.length;
        rowRight[row] = left + width;
        const top = chartArea.top + 3 + row * 16;
        ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
        ctx.fillRect(left, top, width, 15);
        ctx.fillStyle = s.kind === 'idle' ? '#1f5f8f' : '#b35900';
        ctx.fillText(text, left + 4, top + 2);
      }
      ctx.restore();
    },
  };
}

/** Splits a long sentence into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
