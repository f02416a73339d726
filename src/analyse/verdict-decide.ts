import { heapGrowthAtRest } from './decide/at-rest.ts';
import { noFits, type Context, type Decision } from './decide/context.ts';
import { heldAfterLoad } from './decide/plateau.ts';
import { taskGrowth } from './decide/tasks.ts';
import { rssGrowth } from './decide/under-load.ts';
import { retainedPerWork } from './decide/retained-per-work.ts';

export * from './decide/context.ts';
export { grewAtRest } from './decide/at-rest.ts';
export { liveShape } from './decide/live-shape.ts';
export { levelledOff } from './decide/plateau.ts';

/**
 * The decision: which kind of growth a run shows, from its fitted figures, in the roles of
 * the runtime profile (live heap, memory outside the runtime, tasks). Pure and without words:
 * it returns facts, and verdict-words.ts says them. The rules run in order (RULES, below); the
 * first that decides wins. Each rule lives in the file named for what it decides: decide/tasks.ts,
 * decide/under-load.ts (with given-back.ts and live-shape.ts), decide/at-rest.ts, decide/plateau.ts
 * (what is held: plateau, held growth, high-water), decide/outside.ts.
 */

type Rule = (ctx: Context) => Decision | undefined;

/** In order: missing data, tasks, RSS growth and where, heap growth at rest, what is held. */
const RULES: readonly Rule[] = [missingData, retainedPerWork, taskGrowth, rssGrowth, heapGrowthAtRest, heldAfterLoad];

export function decide(ctx: Context): Decision {
  for (const rule of RULES) {
    const d = rule(ctx);
    if (d) return d;
  }
  return { class: 'stable' };
}

function missingData(ctx: Context): Decision | undefined {
  if (ctx.rss === undefined)
    return { class: 'not-enough-data', missing: ctx.data.samples.length < 2 ? 'samples' : 'rss' };
  if (noFits(ctx)) return retainedPerWork(ctx) ?? heldAfterLoad(ctx) ?? { class: 'not-enough-data', missing: 'fits' };
  return undefined;
}
