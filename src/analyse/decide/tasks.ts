import type { Context, Decision } from './context.ts';

/**
 * Tasks (goroutines, threads) growing in any phase. Held tasks after the load: plateau.ts.
 * Words: verdict-words.ts taskGrowthWords.
 */

export function taskGrowth(ctx: Context): Decision | undefined {
  const windows = ctx.growing(ctx.fig(ctx.profile.tasks?.key));
  return windows.length > 0 ? { class: 'task-growth', via: 'window', windows } : undefined;
}
