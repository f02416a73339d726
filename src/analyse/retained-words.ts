import type { DiagnosedFigure, Verdict, VerdictKind } from './diagnosis.ts';
import { RACE_SUGGESTION, raceGrowthSentence } from './race-words.ts';
import { formatCount, formatFigure, formatMiB, formatSignedBytes, formatSignedCount } from './format.ts';
import type { Context, RetainedDecision } from './decide/context.ts';
import { FLOOR, LEAK_SHARE, NOISE_SIGMAS, type FigureRetained, type LevelFrom } from './retained.ts';

/**
 * The words of a decision from memory retained per unit of work (decide/retained-per-work.ts):
 * what each burst left behind, at rest, against the requests served. Nothing here decides.
 */

/** What the words borrow from verdict-words.ts (which imports this file): kinds and tools per runtime. */
export interface RetainedTools {
  heapKind(key: DiagnosedFigure): VerdictKind;
  heapTool(key?: DiagnosedFigure): string[];
  taskTool(): string[];
}

export function retainedVerdict(
  ctx: Context,
  d: RetainedDecision,
  caveats: string[],
  notes: string[],
  tools: RetainedTools,
): Verdict {
  const evidence = [
    ...(d.figure ? [figureSentence(d.figure, true)] : []),
    ...d.retained.figures.filter((f) => f !== d.figure).map((f) => figureSentence(f, false)),
    noiseRule(),
    ...notes.map((n) => `Within phases (supporting evidence, not the deciding figure): ${n}`),
  ];
  caveats.push(...levelCaveats(ctx, d));
  const { kind, summary, suggestions } = classWords(ctx, d, tools);
  return { kind, summary, evidence: [...new Set(evidence)], caveats: [...new Set(caveats)], suggestions };
}

function classWords(
  ctx: Context,
  d: RetainedDecision,
  tools: RetainedTools,
): { kind: VerdictKind; summary: string; suggestions: string[] } {
  const f = d.figure;
  const n = d.retained.bursts;
  switch (d.class) {
    case 'task-growth':
      return {
        kind: ctx.profile.kinds['task-growth'],
        summary: `Each of the ${n} bursts left about the same number of ${ctx.profile.tasks?.words ?? 'tasks'} alive again (${perWork(f!)}): they never exit, so memory grows with the work served.`,
        suggestions: [...tools.taskTool(), ...tools.heapTool()],
      };
    case 'heap-growth':
      return {
        kind: tools.heapKind(d.heap),
        summary: `Each of the ${n} bursts left about the same amount in ${f!.label} again, measured at rest (${perWork(f!)}): objects from the requests stay referenced, so memory grows with every request served.`,
        suggestions: tools.heapTool(d.heap),
      };
    case 'outside-growth':
      return {
        kind: ctx.profile.kinds['outside-growth'],
        summary: [
          `Each of the ${n} bursts left about the same amount again in ${f!.label}, measured at rest (${perWork(f!)}): memory beyond what ${ctx.profile.runtimeWords} holds grows with the work served.`,
          raceGrowthSentence(ctx),
        ]
          .filter(Boolean)
          .join(' '),
        suggestions: ctx.race.race === true ? [RACE_SUGGESTION] : tools.heapTool(),
      };
    case 'rss-growth':
      return {
        kind: 'rss-growth',
        summary: `Each of the ${n} bursts left about the same amount of ${f!.label} again, measured at rest (${perWork(f!)}); with no runtime figure sampled, where it is held cannot be told.`,
        suggestions: tools.heapTool(),
      };
    case 'plateau':
      return {
        kind: 'plateau',
        summary: boundedSummary(f!, n),
        suggestions: ['Budget what it holds with --fail-on held>SIZE if it matters; --fail-on growth passes.'],
      };
    case 'high-water-held':
      return {
        kind: 'high-water-held',
        summary: `${f!.label} stays ${formatSignedBytes(f!.bursts.at(-1)!.retained)} above its level before the load, but no burst after the first retained more beyond noise, and no runtime figure retains more: a high-water mark, not a leak. ${ctx.profile.keepsFreed}`,
        suggestions: ctx.profile.releaseHint ? [ctx.profile.releaseHint] : [],
      };
    case 'stable':
      return {
        kind: 'stable',
        summary: stableSummary(d),
        suggestions: [],
      };
    case 'not-enough-data':
      return {
        kind: 'not-enough-data',
        summary: `The figures cannot decide: ${f ? `${f.label} retained ${shapeWords(f)}` : 'no figure decides'}. What would decide it: ${d.decides}.`,
        suggestions: [`Run again with ${d.decides}.`],
      };
  }
}

function boundedSummary(f: FigureRetained, n: number): string {
  const first = f.bursts[0]!;
  const last = f.bursts.at(-1)!;
  const what =
    f.shape === 'warm-up'
      ? `each later burst retained less (the last ${amount(f, last.added)}, against ${amount(f, first.added)} for the first): a warm-up`
      : `the later ${n - 1 === 1 ? 'burst' : `${n - 1} bursts`} retained nothing beyond noise: a cache or pool that is full`;
  return `${f.label} holds ${amount(f, last.retained)} above its level before the load, filled within the first burst (${formatCount(first.requests)} requests); ${what}. Not a leak.`;
}

/** "+1.02 MiB per 1,000 requests (95%: …); +1.0 GiB per 1M requests". */
function perWork(f: FigureRetained): string {
  const per1M = f.unit === 'bytes' ? `; ${formatSignedBytes(f.per1k * 1000)} per 1M requests` : '';
  return `${amount(f, f.per1k)} per 1,000 requests, 95% interval ${amount(f, f.low)} to ${amount(f, f.high)}${per1M}`;
}

function figureSentence(f: FigureRetained, deciding: boolean): string {
  const steps = f.bursts
    .map(
      (b) =>
        `${amount(f, b.retained)} after ${b.burst} (${formatCount(b.totalRequests)} requests served; this burst ${amount(f, b.added)})`,
    )
    .join(', ');
  const lead = deciding ? 'Deciding figure: ' : '';
  return `${lead}${f.label} at the end of each rest, above its level before the first burst (${levelWords(f.levelFrom)}): ${steps}: ${shapeWords(f)}; noise band ${formatFigure(f.band, f.unit)}.`;
}

function shapeWords(f: FigureRetained): string {
  switch (f.shape) {
    case 'leak':
      return `about the same again after every burst (${perWork(f)})`;
    case 'bounded':
      return 'nothing more after the first burst beyond noise (bounded)';
    case 'warm-up':
      return 'less after each burst (a warm-up)';
    case 'nothing':
      return 'nothing beyond noise after any burst';
    case 'held':
      return 'held after the one burst (one burst cannot tell a leak from a cache that filled)';
    case 'uneven':
      return 'uneven: a burst that left nothing beyond noise, and a later one that did';
  }
}

function levelWords(from: LevelFrom): string {
  if (from === 'forced-collection') return 'read after a collection the pack asked for';
  if (from === 'rest-minimum') return "the lowest in the rest's later half, after the runtime's own idle collections";
  return "the median of the rest's last samples";
}

function noiseRule(): string {
  return `Beyond noise: a burst's increment counts when it exceeds ${NOISE_SIGMAS} × √2 × the figure's noise at rest (1.4826 × the median absolute deviation over the later half of each rest, the largest), and at least ${formatMiB(FLOOR.bytes)} or ${FLOOR.count} tasks; a leak is a last burst retaining at least ${LEAK_SHARE * 100}% of the first's amount per request.`;
}

function levelCaveats(ctx: Context, d: RetainedDecision): string[] {
  const out: string[] = [];
  const heaps = d.retained.figures.filter((f) => f.levelFrom === 'rest-minimum');
  if (heaps.length > 0)
    out.push(
      `${heaps.map((f) => f.label).join(' and ')} ${heaps.length > 1 ? 'were' : 'was'} read at ${heaps.length > 1 ? 'their' : 'its'} lowest in each rest's later half, not after a forced collection: garbage the runtime had not yet collected counts as retained. A longer --idle-after gives its idle collections more time.`,
    );
  if (ctx.profile.live === undefined && !d.retained.figures.some((f) => f.role === 'heap'))
    out.push(`No heap figure was sampled: retained memory is judged on ${d.figure?.label ?? 'RSS'} alone.`);
  return out;
}

function amount(f: FigureRetained, v: number): string {
  return f.unit === 'bytes' ? formatSignedBytes(v) : formatSignedCount(v);
}

/** For the projection: requests until `headroom` at `per1k` bytes per 1,000 requests. */
export function requestsToLimitText(label: string, per1k: number, headroom: number, limit: number): string {
  const requests = (headroom / per1k) * 1000;
  return `At the retained rate of ${formatSignedBytes(per1k * 1000)} per 1M requests (${label}, measured at rest after each burst), the ${formatMiB(limit)} limit is reached after about ${formatCount(requests)} more requests.`;
}

/** Two bursts, the second retaining less but beyond noise: what would decide, said as a caveat. */
export function undecidedCaveat(f: FigureRetained): string {
  const [first, second] = f.bursts;
  if (f.shape === 'uneven') {
    const steps = f.bursts.map((b) => `${amount(f, b.added)} after ${b.burst}`).join(', ');
    return `Retained per burst could not decide, so the verdict rests on the curves within phases: ${f.label} retained ${steps} against a noise band of ${formatFigure(f.band, f.unit)}: the bursts disagree. More bursts (--bursts 3 or more), or a heap figure read after a collection (a mounted /debug/pprof for Go), decide.`;
  }
  return `Retained per burst could not decide, so the verdict rests on the curves within phases: ${f.label} retained ${amount(f, first!.added)} after ${first!.burst} and ${amount(f, second!.added)} after ${second!.burst}, less but beyond noise: a leak after a warm-up, or a warm-up still settling. A third burst (--bursts 3) decides: a leak retains about the same again.`;
}

function stableSummary(d: RetainedDecision): string {
  const work = `${d.retained.bursts} bursts, ${formatCount(d.retained.figures[0]?.bursts.at(-1)?.totalRequests ?? 0)} requests`;
  const held = d.retained.figures.filter((f) => f.shape !== 'nothing');
  if (held.length === 0) return `No burst left anything beyond noise at rest, in any figure (${work}).`;
  const what = held.map((f) => `${f.label} ${amount(f, f.bursts.at(-1)!.retained)} (${f.shape})`).join(', ');
  return `No burst after the first left anything beyond noise at rest (${work}); what the first left is small: ${what}.`;
}
