import { depVersion } from '../rundir/go-build.ts';
import type { Context } from './decide/context.ts';

/** The Go issue that says a -race build's memory grows per goroutine created, by design. */
export const RACE_ISSUE = 'golang/go#63276';
export const RACE_ISSUE_URL = 'https://github.com/golang/go/issues/63276';

/** Why a -race build grows outside the Go runtime, for a verdict that found it so (undefined for other builds). */
export function raceGrowthSentence(ctx: Context): string | undefined {
  if (ctx.race.race !== true) return undefined;
  const build = buildFacts(ctx);
  return `This is a -race build (${ctx.race.quote}${build ? `; ${build}` : ''}): the race runtime keeps a record for every goroutine ever created and never frees it (${RACE_ISSUE}), and net/http starts goroutines per connection and per request.`;
}

export const RACE_SUGGESTION = `Build without -race for anything long-running: the race detector is for tests, and its memory is expected to grow (see ${RACE_ISSUE_URL}; the race detector's documentation says its memory does not show in runtime.ReadMemStats or pprof).`;

/** The Go version and the web framework's module version from the build info, e.g. "go1.26.8, github.com/gin-gonic/gin v1.9.1". */
export function buildFacts(ctx: Context): string | undefined {
  const go = ctx.data.run.target.identity?.goBuild;
  if (!go) return undefined;
  const parts = [go.goVersion];
  for (const mod of [
    'github.com/gin-gonic/gin',
    'github.com/labstack/echo/v4',
    'github.com/gofiber/fiber/v2',
    'github.com/go-chi/chi/v5',
  ]) {
    const v = depVersion(go, mod);
    if (v) parts.push(`${mod} ${v}`);
  }
  return parts.join(', ');
}
