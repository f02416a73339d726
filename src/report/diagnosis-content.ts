import type { Diagnosis, FigureDiagnosis, RateFit, VerdictKind, WindowFigure } from '../analyse/diagnosis.ts';
import {
  formatCount,
  formatDuration,
  formatFigure,
  formatMiB,
  formatSignedBytes,
  formatSignedCount,
} from '../analyse/format.ts';
import { kindLabel } from '../analyse/smaps.ts';
import { amountText, rateText } from '../analyse/verdict.ts';
import type { Table } from './tables.ts';
import { classOf, isVerdictKind, kindTitle, VERDICT_KINDS, type KindClass } from '../analyse/verdict-kinds.ts';

/**
 * The Verdict section of the report as plain, unescaped text and tables, laid out once for
 * summary.md and index.html (escaping is the renderers' job, as with tables.ts).
 */
export interface DiagnosisContent {
  kind: VerdictKind;
  /** "growth outside the Go runtime". */
  title: string;
  /** The kind's class; absent for a kind this pack does not know (a newer pack's summary). */
  kindClass?: KindClass;
  /** The kind as the Action and JUnit name it, its class and the growth gate, in one line. */
  kindLine: string;
  summary: string;
  evidence: string[];
  caveats: string[];
  suggestions: string[];
  /** The heap profile diff, to show as a command line. */
  pprofCommand?: string;
  growth: Table;
  /** Figures whose baseline is a sample under load, each said in words under the growth table. */
  growthNotes: string[];
  /** Where it grew, by kind of mapping and by mapping; absent without two smaps snapshots. */
  smaps?: { caption: string; kinds: Table; mappings: Table; steps?: Table; notes: string[] };
}

const NONE = '—';

/** Undefined for a summary written before the diagnosis existed. */
export function diagnosisContent(d: Diagnosis | undefined): DiagnosisContent | undefined {
  if (!d) return undefined;
  const v = d.verdict;
  const out: DiagnosisContent = {
    kind: v.kind,
    title: isVerdictKind(v.kind) ? kindTitle(v.kind, d.runtime?.name) : v.kind,
    ...(isVerdictKind(v.kind) && { kindClass: VERDICT_KINDS[v.kind].class }),
    kindLine: kindLine(v.kind),
    summary: v.summary,
    evidence: v.evidence,
    caveats: v.caveats,
    suggestions: v.suggestions,
    growth: growthTable(d),
    growthNotes: d.figures
      .filter((f) => f.baselineUnderLoad)
      .map((f) => `${f.label}: the baseline is ${f.baselineFrom}.`),
  };
  if (d.heapProfiles) out.pprofCommand = d.heapProfiles.command;
  if (d.smaps) {
    const s = d.smaps;
    out.smaps = {
      caption: `smaps ${s.from.label} (${s.from.file}, t=${formatDuration(s.from.t)}) → ${s.to.label} (${s.to.file}, t=${formatDuration(s.to.t)}): RSS ${formatMiB(s.overall.rssBefore)} → ${formatMiB(s.overall.rssAfter)} (${formatSignedBytes(s.overall.rssChange)}); ${formatCount(s.overall.newMappings)} new mappings, ${formatCount(s.overall.removedMappings)} removed`,
      kinds: {
        head: ['kind', 'mappings', 'RSS before', 'RSS after', 'RSS change', 'size change'],
        rows: s.overall.kinds.map((k) => [
          k.label,
          `${k.mappingsBefore} → ${k.mappingsAfter}`,
          formatMiB(k.rssBefore),
          formatMiB(k.rssAfter),
          formatSignedBytes(k.rssChange),
          formatSignedBytes(k.sizeChange),
        ]),
        numeric: [false, true, true, true, true, true],
      },
      mappings: {
        head: ['mapping', 'kind', 'perms', 'path', 'status', 'RSS before', 'RSS after', 'RSS change'],
        rows: s.overall.topMappings.map((m) => [
          m.range,
          kindLabel(m.kind),
          m.perms,
          m.pathname || NONE,
          m.status,
          formatMiB(m.rssBefore),
          formatMiB(m.rssAfter),
          formatSignedBytes(m.rssChange),
        ]),
        numeric: [false, false, false, false, false, true, true, true],
      },
      notes: s.notes,
    };
    if (s.steps.length > 0) {
      out.smaps.steps = {
        head: ['from → to', 'RSS change', 'by kind (largest first)'],
        rows: s.steps.map((st) => [
          `${st.from} → ${st.to}`,
          formatSignedBytes(st.rssChange),
          st.kinds
            .filter((k) => k.rssChange !== 0)
            .slice(0, 4)
            .map((k) => `${k.label} ${formatSignedBytes(k.rssChange)}`)
            .join(', ') || 'no change',
        ]),
        numeric: [false, true, false],
      };
    }
  }
  return out;
}

/** "Kind: plateau (bounded, not a leak); --fail-on growth passes." */
export function kindLine(kind: string): string {
  const c = classOf(kind);
  if (!c) return `Kind: ${kind}.`;
  const words = c.words === kind ? kind : `${kind} (${c.words})`;
  return `Kind: ${words}; --fail-on growth ${c.failsGrowthGate ? 'fails the run' : 'passes'}.`;
}

/**
 * One row per figure and phase: where it went and at what robust rate. The high-water mark is
 * left out: it can only rise, so a rate says nothing about it.
 */
function growthTable(d: Diagnosis): Table {
  const head = ['figure', 'phase', 'baseline', 'start → end', 'rate', '95% CI', "Kendall's tau", 'trend'];
  const order = (f: FigureDiagnosis): number => (f.key === d.rssFigure ? 0 : f.key === 'outsideGo' ? 1 : 2);
  const figures = d.figures.filter((f) => f.key !== 'vmHwm').sort((a, b) => order(a) - order(b));
  const rows = figures.flatMap((f) =>
    f.windows.map((w, i) => [
      i === 0 ? f.label : '',
      w.window,
      i === 0 ? formatFigure(f.baseline, f.unit) : '',
      startEnd(f, w),
      ...fitCells(f, w),
    ]),
  );
  return { head, rows, numeric: [false, false, true, true, true, true, true, false] };
}

function startEnd(f: FigureDiagnosis, w: WindowFigure): string {
  if (w.start === undefined || w.end === undefined) return NONE;
  const change = w.end - w.start;
  const delta = f.unit === 'bytes' ? formatSignedBytes(change) : formatSignedCount(Math.round(change));
  return `${formatFigure(w.start, f.unit)} → ${formatFigure(w.end, f.unit)} (${delta})`;
}

function fitCells(f: FigureDiagnosis, w: WindowFigure): string[] {
  const fit: RateFit | undefined = w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour;
  if (!fit) return [NONE, NONE, NONE, 'no fit'];
  if (!fit.ok) return [NONE, NONE, NONE, `not fitted: ${fit.reason ?? 'not enough data'}`];
  const trend = fit.trend === 'flat' && fit.why && (fit.rate ?? 0) > 0 ? `flat (${fit.why})` : (fit.trend ?? NONE);
  return [
    rateText(fit.rate!, fit.basis, f.unit),
    `${amountText(fit.low!, f.unit)} to ${amountText(fit.high!, f.unit)}`,
    fit.tau!.toFixed(2),
    trend,
  ];
}
