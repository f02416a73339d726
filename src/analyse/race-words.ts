import type { Context } from './decide/context.ts';

/** The Go issue that says a -race build's memory grows per goroutine created, by design. */
export const RACE_ISSUE = 'golang/go#63276';
export const RACE_ISSUE_URL = 'https://github.com/golang/go/issues/63276';

/** Why a -race build grows outside the Go runtime, for a verdict that found it so (undefined for other builds). */
export function raceGrowthSentence(ctx: Context): string | undefined {
  if (ctx.race.race !== true) return undefined;
  return `This is a -race build (${ctx.race.quote}): the race runtime keeps a record for every goroutine ever created and never frees it (${RACE_ISSUE}), and net/http starts goroutines per connection and per request.`;
}

export const RACE_SUGGESTION = `Build without -race for anything long-running: the race detector is for tests, and its memory is expected to grow (see ${RACE_ISSUE_URL}; the race detector's documentation says its memory does not show in runtime.ReadMemStats or pprof).`;
