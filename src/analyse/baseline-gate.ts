import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { FigureRetained } from './diagnosis.ts';
import { isGrowthKind } from './diagnosis.ts';
import { formatSignedBytes, formatSignedCount } from './format.ts';
import type { SummaryFile } from './summary-file.ts';

/**
 * The baseline gate: each gated build against the baseline build, run under the same scenario,
 * figure by figure on what a burst leaves behind at rest (retained per 1,000 requests,
 * retained.ts), with each run's noise. Pure: summaries in, decision out. A build that grows by
 * design (any -race build of a net/http server) passes against a baseline that grows alike;
 * a regression is a figure that retains more than the baseline beyond both runs' noise.
 */

export type GateRole = 'tasks' | 'heap' | 'outside' | 'rss';

/** Normal quantile for a 95% interval. */
const Z95 = 1.96;
/**
 * A difference counts only when it is also at least this share of the baseline's own rate, per
 * role. Two runs of one build differ in what a burst leaves behind by more than their noise at
 * rest, most of all in memory measured from RSS: 32 soaks of the bundled -race build (2 bursts
 * of 20,000 requests) left 270 to 559 KiB per 1,000 requests outside the Go runtime, a ratio of
 * 2.07 between two of them (docs/ci.md), so a build must retain more than three times the
 * baseline's rate there. The live heap after a collection and the task count repeat closely:
 * twice is enough.
 */
export const RELATIVE_MARGIN: Readonly<Record<GateRole, number>> = { tasks: 1, heap: 1, outside: 2, rss: 2 };

const ROLE_ORDER: readonly GateRole[] = ['tasks', 'heap', 'outside', 'rss'];

/** One build's figure, pooled over its rounds. */
export interface BuildRate {
  /** Retained per 1,000 requests (mean over rounds), with its 95% interval. */
  per1k: number;
  low: number;
  high: number;
  /** The largest noise band of its rounds: what one burst's increment must exceed to count. */
  band: number;
  /** Requests of one later burst (the rate's denominator). */
  burstRequests: number;
  /** Each round's shape (retained.ts). */
  shapes: string[];
  rounds: number;
}

export type FigureDecision = 'more' | 'alike' | 'less';

export interface FigureComparison {
  role: GateRole;
  key: string;
  label: string;
  unit: 'bytes' | 'count';
  base: BuildRate;
  head: BuildRate;
  /** head − base per 1,000 requests, with its 95% interval. */
  difference: { per1k: number; low: number; high: number };
  /** What the difference must exceed per 1,000 requests: both runs' noise bands, and the margin on the baseline. */
  threshold: number;
  decision: FigureDecision;
  /** Whether this figure decides (RSS only where no runtime figure says where memory is). */
  gating: boolean;
}

export interface BuildGate {
  label: string;
  figures: FigureComparison[];
  /** The build's verdict kinds (one per round), and the growth kinds the baseline never showed. */
  kinds: string[];
  newGrowthKinds: string[];
  decision: 'regression' | 'alike';
  /** How it was decided: per figure, or by the verdict kinds when no figure could be compared. */
  by: 'figures' | 'verdict-kinds';
  /** The decision in words, one sentence each. */
  words: string[];
}

export interface GateResult {
  baseline: string;
  decision: 'regression' | 'alike';
  builds: BuildGate[];
}

/** A run of the comparison: its build's label and its summary (absent when it wrote none). */
export interface GateRun {
  build: string;
  summary?: SummaryFile;
}

/** Each non-baseline build against the baseline; undefined when the baseline has no run with a summary. */
export function baselineGate(baseline: string, runs: readonly GateRun[]): GateResult | undefined {
  const of = (label: string) => runs.filter((r) => r.build === label && r.summary).map((r) => r.summary!);
  const base = of(baseline);
  if (base.length === 0) return undefined;
  const labels = [...new Set(runs.map((r) => r.build))].filter((l) => l !== baseline);
  const builds = labels.map((l) => buildGate(l, base, of(l)));
  return {
    baseline,
    decision: builds.some((b) => b.decision === 'regression') ? 'regression' : 'alike',
    builds,
  };
}

const kindOf = (s: SummaryFile) => s.diagnosis?.verdict.kind ?? 'none';

function buildGate(label: string, base: readonly SummaryFile[], head: readonly SummaryFile[]): BuildGate {
  const kinds = head.map(kindOf);
  const baseKinds = new Set(base.map(kindOf));
  const newGrowthKinds = [...new Set(kinds.filter((k) => isGrowthKind(k) && !baseKinds.has(k)))];
  const figures = compareFigures(base, head);
  const gating = figures.filter((f) => f.gating);
  const more = gating.filter((f) => f.decision === 'more');
  const words: string[] = [];
  if (head.length === 0) {
    return {
      label,
      figures,
      kinds,
      newGrowthKinds,
      decision: 'regression',
      by: 'verdict-kinds',
      words: [`${label} wrote no summary: nothing shows it alike the baseline.`],
    };
  }
  for (const f of more) words.push(moreWords(f));
  // Figures compared and none retains more: a verdict kind the baseline lacks is the same
  // behaviour on the other side of a threshold (two bursts of a -race build are called a
  // warm-up in one run and growth in the next), not a regression.
  const byFigures = gating.length > 0;
  if (byFigures) {
    if (more.length === 0) {
      words.push(
        `No figure of ${label} retains more per 1,000 requests than the baseline's beyond both runs' noise: ${gating.map((f) => f.label).join(', ')} alike or less.`,
      );
      if (newGrowthKinds.length > 0)
        words.push(
          `Its verdict (${newGrowthKinds.join(', ')}) is one the baseline's is not, but the figures it rests on retain no more than the baseline's: not counted.`,
        );
    }
  } else if (newGrowthKinds.length > 0) {
    words.push(
      `No figure retained per burst could be compared (runs of two bursts or more, each followed by a rest, have them); ${label}'s verdict ${newGrowthKinds.join(', ')} is a kind of growth the baseline's is not.`,
    );
  } else {
    words.push(
      `No figure retained per burst could be compared; ${label}'s verdict (${[...new Set(kinds)].join(', ')}) shows no growth the baseline's does not.`,
    );
  }
  const regression = byFigures ? more.length > 0 : newGrowthKinds.length > 0;
  return {
    label,
    figures,
    kinds,
    newGrowthKinds,
    decision: regression ? 'regression' : 'alike',
    by: byFigures ? 'figures' : 'verdict-kinds',
    words,
  };
}

/** The figures both builds measured, in role order, each build pooled over its rounds. */
export function compareFigures(base: readonly SummaryFile[], head: readonly SummaryFile[]): FigureComparison[] {
  const baseFigures = base.map(gateFigures);
  const headFigures = head.map(gateFigures);
  const out: FigureComparison[] = [];
  for (const role of ROLE_ORDER) {
    const b = pick(baseFigures, role);
    const h = pick(headFigures, role);
    if (!b || !h || b.key !== h.key) continue;
    out.push(compareOne(role, b.runs, h.runs));
  }
  const runtimeFigure = out.some((f) => f.role === 'heap' || f.role === 'outside');
  for (const f of out) f.gating = f.role !== 'rss' || !runtimeFigure;
  return out;
}

/** A role's figure in every round of a build, when each round has it under the same key. */
function pick(
  rounds: readonly Map<GateRole, FigureRetained>[],
  role: GateRole,
): { key: string; runs: FigureRetained[] } | undefined {
  const runs = rounds.map((m) => m.get(role));
  if (runs.length === 0 || runs.some((r) => r === undefined)) return undefined;
  const key = runs[0]!.key;
  return runs.every((r) => r!.key === key) ? { key, runs: runs as FigureRetained[] } : undefined;
}

/** A run's retained figures by gate role: the live heap stands for the heap where the runtime has one. */
function gateFigures(s: SummaryFile): Map<GateRole, FigureRetained> {
  const m = new Map<GateRole, FigureRetained>();
  const r = s.diagnosis?.retained;
  if (!r || r.bursts < 2) return m;
  const first = (role: FigureRetained['role']) => r.figures.find((f) => f.role === role);
  const heap = first('live-heap') ?? first('heap');
  const entries: [GateRole, FigureRetained | undefined][] = [
    ['tasks', first('tasks')],
    ['heap', heap],
    ['outside', first('outside')],
    ['rss', first('rss')],
  ];
  for (const [role, f] of entries) if (f) m.set(role, f);
  return m;
}

/** One build's figure over its rounds: the mean rate; its interval from each round's, and from their spread. */
export function pool(runs: readonly FigureRetained[]): BuildRate {
  const n = runs.length;
  const round = rounder(runs[0]!.unit);
  const per1k = mean(runs.map((r) => r.per1k));
  const withinHalf = Math.sqrt(runs.reduce((s, r) => s + ((r.high - r.low) / 2) ** 2, 0)) / n;
  const betweenHalf = n >= 2 ? (Z95 * sampleStandardDeviation(runs.map((r) => r.per1k))) / Math.sqrt(n) : 0;
  const half = Math.max(withinHalf, betweenHalf);
  const later = runs.flatMap((r) => (r.bursts.length > 1 ? r.bursts.slice(1) : r.bursts)).map((b) => b.requests);
  return {
    per1k: round(per1k),
    low: round(per1k - half),
    high: round(per1k + half),
    band: Math.max(...runs.map((r) => r.band)),
    burstRequests: Math.min(...later),
    shapes: runs.map((r) => r.shape),
    rounds: n,
  };
}

function compareOne(role: GateRole, baseRuns: FigureRetained[], headRuns: FigureRetained[]): FigureComparison {
  const base = pool(baseRuns);
  const head = pool(headRuns);
  const d = head.per1k - base.per1k;
  const half = Math.hypot((base.high - base.low) / 2, (head.high - head.low) / 2);
  // One burst's extra must exceed the larger noise band of the two runs (each at least the
  // retained-per-work floor), and the rate the baseline's own margin.
  const perBurst = Math.min(base.burstRequests, head.burstRequests) / 1000;
  const noise = Math.max(base.band, head.band) / perBurst;
  const threshold = Math.max(noise, RELATIVE_MARGIN[role] * Math.abs(base.per1k));
  const decision: FigureDecision =
    d - half > 0 && d > threshold ? 'more' : -d - half > 0 && -d > threshold ? 'less' : 'alike';
  const f = headRuns[0]!;
  const round = rounder(f.unit);
  return {
    role,
    key: f.key,
    label: f.label,
    unit: f.unit,
    base,
    head,
    difference: { per1k: round(d), low: round(d - half), high: round(d + half) },
    threshold: round(threshold),
    decision,
    gating: true,
  };
}

function moreWords(f: FigureComparison): string {
  const unsigned = (v: number) => amount(v, f.unit).replace(/^\+/, '');
  return `${f.label} retains ${unsigned(f.difference.per1k)} more per 1,000 requests than the baseline (95% CI ${amount(f.difference.low, f.unit)} to ${amount(f.difference.high, f.unit)}; ${amount(f.head.per1k, f.unit)} against ${amount(f.base.per1k, f.unit)}), beyond both runs' noise and the baseline's own rate (${unsigned(f.threshold)}).`;
}

/** Bytes to the byte; tasks per 1,000 requests to the hundredth (a few goroutines per 10,000 requests is a leak). */
function rounder(unit: 'bytes' | 'count'): (v: number) => number {
  return unit === 'bytes' ? Math.round : (v) => Math.round(v * 100) / 100;
}

/** A signed figure per 1,000 requests in its unit: bytes as B/KiB/MiB, tasks as a count. */
export function amount(v: number, unit: 'bytes' | 'count'): string {
  if (unit === 'bytes') return formatSignedBytes(v);
  return Number.isInteger(v) ? formatSignedCount(v) : `${v > 0 ? '+' : ''}${v.toFixed(2)}`;
}
