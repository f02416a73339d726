import type { PlateauFacts } from '../diagnosis.ts';
import type { FigureRetained, RetainedReport } from '../retained.ts';
import { THRESHOLDS } from '../thresholds.ts';
import { grewAtRest } from './at-rest.ts';
import type { Context, RetainedDecision } from './context.ts';

/**
 * Retained per unit of work, the deciding figure when a run has two bursts or more, each
 * followed by a rest (retained.ts measures it): a leak retains about the same again after
 * every burst, a cache or pool nothing more once full, a warm-up less each time. Tasks first,
 * then the heap the runtime keeps live data in, then memory outside the runtime; RSS decides
 * only where no runtime figure says where memory is. Slopes within a phase are left to the
 * evidence. Words: retained-words.ts.
 */
export function retainedPerWork(ctx: Context): RetainedDecision | undefined {
  const r = ctx.retained;
  if (!r || r.bursts < 2) return undefined;
  const base = { via: 'retained', retained: r } as const;
  const { tasks, heaps, outside, rss } = decidingFigures(ctx, r);
  const leak = (fs: readonly FigureRetained[]): FigureRetained | undefined => fs.find((f) => f.shape === 'leak');
  const task = leak(tasks);
  if (task) return { ...base, class: 'task-growth', figure: task };
  const heap = leak(heaps);
  if (heap) return { ...base, class: 'heap-growth', heap: heap.key, figure: heap };
  // Memory outside the runtime is RSS less the runtime's figures, read from different samples:
  // it is a leak only where RSS itself kept more beyond its noise (seen: outside +672 KiB in a
  // burst where RSS kept +208 KiB, a Node.js cache called growth-outside-runtime).
  const rssKeptMore = !rss || rss.bursts.at(-1)!.added > rss.band;
  const out = rssKeptMore ? leak(outside) : undefined;
  // Two bursts where RSS itself kept less the second time: the difference of two figures that
  // each settle cannot tell a leak from memory the runtime sizes to its heap (seen: a JVM cache,
  // RSS +578 then +52 MiB while it committed heap, outside the Java heap +34 then +25 MiB, with
  // Java heap used flat); a third burst can (ctx.retainedUndecided).
  if (out && r.bursts < 3 && rss && (rss.shape === 'warm-up' || rss.shape === 'uneven')) {
    ctx.retainedUndecided = rss;
    return undefined;
  }
  if (out) return { ...base, class: 'outside-growth', figure: out };
  const localised = heaps.length > 0 && outside.length > 0;
  if (rss && rss.shape === 'leak') {
    if (!localised && heaps.length === 0) return { ...base, class: 'rss-growth', figure: rss };
    // The runtime's own figures do not retain more, RSS does: without a figure for memory
    // outside the runtime, a native leak and a heap the runtime keeps growing look alike.
    if (!localised)
      return { ...base, class: 'not-enough-data', figure: rss, decides: 'a figure for memory outside the runtime' };
  }
  const decisive = localised || heaps.length > 0 ? [...tasks, ...heaps, ...outside] : rss ? [rss] : [];
  const warm = decisive.find((f) => (f.shape === 'warm-up' && r.bursts < 3) || f.shape === 'uneven');
  // Two bursts, the second retaining less but still beyond noise: a leak after a warm-up, or a
  // warm-up still settling. The figures cannot decide; the shape rules do, and the words say
  // that a third burst would (ctx.retainedUndecided).
  if (warm) {
    ctx.retainedUndecided = warm;
    return undefined;
  }
  // Nothing more retained per burst is no all-clear while memory grows at rest, when no requests
  // come but the probes' new connections (the report's case: a -race build grows per connection
  // it accepts, a few KiB a probe); the rules on growth at rest decide that.
  const first = r.figures[0]?.bursts[0];
  const burst = first && ctx.rss?.windows.find((w) => w.window === first.burst);
  if (burst && grewAtRest(ctx, burst)) return undefined;
  const bounded = decisive.find((f) => f.shape === 'bounded' || f.shape === 'warm-up');
  if (bounded) return { ...base, class: 'plateau', figure: bounded, plateau: plateauFacts(ctx, r, bounded) };
  const held = rss ? rss.bursts.at(-1)!.retained : 0;
  if (rss && held >= THRESHOLDS.highWaterBytes) return { ...base, class: 'high-water-held', figure: rss };
  return { ...base, class: 'stable' };
}

/** The figures that may decide, by role; a Go heap in use counts garbage, so a live heap speaks for it. */
function decidingFigures(
  ctx: Context,
  r: RetainedReport,
): { tasks: FigureRetained[]; heaps: FigureRetained[]; outside: FigureRetained[]; rss?: FigureRetained } {
  const by = (role: FigureRetained['role']): FigureRetained[] => r.figures.filter((f) => f.role === role);
  const live = by('live-heap');
  const offHeap = ctx.profile.offHeap ?? [];
  const heaps =
    live.length > 0
      ? [...live, ...by('heap').filter((f) => (offHeap as readonly string[]).includes(f.key))]
      : by('heap');
  const rss = by('rss')[0];
  return { tasks: by('tasks'), heaps, outside: by('outside'), ...(rss && { rss }) };
}

/** A bounded figure as a plateau: it filled within the first burst and later bursts added nothing. */
function plateauFacts(ctx: Context, r: RetainedReport, holder: FigureRetained): PlateauFacts {
  const rss = r.figures.find((f) => f.role === 'rss');
  const first = holder.bursts[0]!;
  const w = ctx.rss?.windows.find((x) => x.window === first.burst);
  const facts: PlateauFacts = {
    window: first.burst,
    stoppedAfterS: w ? w.endT - w.startT : 0,
    phaseS: w ? w.endT - w.startT : 0,
    stoppedAfterRequests: first.requests,
    phaseRequests: first.requests,
    level: rss?.bursts[0]?.retained ?? 0,
    held: rss?.bursts.at(-1)?.retained ?? 0,
    holder: holder.role === 'outside' ? 'outside-runtime' : holder.role === 'rss' ? 'unknown' : 'live-heap',
  };
  if (holder.role === 'live-heap' || holder.role === 'heap') {
    facts.heapFigure = holder.key;
    facts.heapHeld = holder.bursts.at(-1)!.retained;
  }
  return facts;
}
