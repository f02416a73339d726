import { amountText, diagnose, rateText } from '../analyse/verdict.ts';
import type { FigureDiagnosis, RateFit, WindowFigure } from '../analyse/diagnosis.ts';
import type { RunData } from '../rundir/read-run.ts';
import type { LoadSecond, RunEvent, RunFile, Sample } from '../rundir/schema.ts';
import type { LiveAnalysis, LiveRate } from './protocol.ts';

/** The figures whose rates the live view shows, in this order, when they were sampled. */
const SHOWN = ['vmRss', 'processRss', 'cgroupMemory', 'outsideGo', 'heapInuse', 'goroutines'] as const;

/**
 * The report's own analysis (diagnose: windows, Theil–Sen fits, Sen's intervals, the verdict)
 * run on the samples so far. Provisional by construction: a phase still running is a window
 * that ends now, and the verdict can change as the run goes on. Pure.
 */
export function liveAnalysis(input: {
  run: RunFile;
  samples: readonly Sample[];
  load: readonly LoadSecond[];
  events: readonly RunEvent[];
  now: number;
}): Omit<LiveAnalysis, 'tookMs'> {
  const data: RunData = {
    dir: '',
    run: input.run,
    samples: [...input.samples],
    samplesHeader: undefined,
    load: [...input.load],
    probes: [],
    events: [...input.events],
    warnings: [],
  };
  const d = diagnose(data);
  const rates: LiveRate[] = [];
  for (const key of SHOWN) {
    const f = d.figures.find((x) => x.key === key);
    if (!f) continue;
    // processRss is the same figure as VmRSS seen through the target: one is enough.
    if (key === 'processRss' && d.figures.some((x) => x.key === 'vmRss')) continue;
    const latest = latestFit(f);
    if (latest)
      rates.push({
        figure: f.label,
        window: latest.w.window,
        text: fitText(latest.fit, f.unit),
        ...(latest.fit.trend && { trend: latest.fit.trend }),
      });
  }
  const out: Omit<LiveAnalysis, 'tookMs'> = {
    t: input.now,
    samples: input.samples.length,
    verdict: { kind: d.verdict.kind, summary: d.verdict.summary },
    rates,
  };
  if (rates.length === 0) out.note = firstReason(d.figures) ?? 'not enough samples yet';
  return out;
}

/** The fit of the latest window that has one: per 1,000 requests under load, per hour at rest. */
function latestFit(f: FigureDiagnosis): { w: WindowFigure; fit: RateFit } | undefined {
  for (const w of [...f.windows].reverse()) {
    const fit = w.kind === 'burst' ? (w.per1k?.ok ? w.per1k : w.perHour) : w.perHour;
    if (fit?.ok && fit.rate !== undefined) return { w, fit };
  }
  return undefined;
}

function fitText(fit: RateFit, unit: 'bytes' | 'count'): string {
  const ci =
    fit.low !== undefined && fit.high !== undefined
      ? ` (95% CI ${amountText(fit.low, unit)} to ${amountText(fit.high, unit)}`
      : ' (';
  return `${rateText(fit.rate!, fit.basis, unit)}${ci}${fit.tau !== undefined ? `, Kendall's tau ${fit.tau.toFixed(2)}` : ''})`;
}

function firstReason(figures: readonly FigureDiagnosis[]): string | undefined {
  for (const f of figures) {
    const w = f.windows.at(-1);
    const reason = (w?.kind === 'burst' ? w.per1k?.reason : undefined) ?? w?.perHour?.reason;
    if (reason) return reason;
  }
  return undefined;
}
