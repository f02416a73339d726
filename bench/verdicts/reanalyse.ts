/**
 * `npm run bench:verdicts -- --reanalyse FILE.json`: the verdicts again, from the run directories
 * a corpus run kept, with the analysis as it is now. A change to the analysis is checked against
 * every server of an hour-long corpus run in seconds. What happened during the soak stays as it
 * was: a verdict that would have asked the soak for another burst (--max-bursts) cannot get it
 * here, so a fresh run of the corpus is still the measure; this is the quick look before it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VERDICT_KINDS, isVerdictKind } from '../../src/analyse/verdict-kinds.ts';
import { diagnose } from '../../src/analyse/verdict.ts';
import { ExitCode } from '../../src/errors.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import type { RunRecord } from './matrix.ts';

/**
 * Each run again from `<keep>/<server>-<run>`, its verdict, class and gate exit from today's
 * analysis; a run whose directory is gone, or had no verdict, is left as it was and named.
 */
export function reanalyseRuns(
  runs: readonly RunRecord[],
  keep: string,
): { runs: RunRecord[]; changed: string[]; missing: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  const out = runs.map((r) => {
    const dir = join(keep, `${r.server}-${r.run}`);
    if (r.got === 'failed' || !existsSync(join(dir, 'run.json'))) {
      missing.push(`${r.server}-${r.run}`);
      return r;
    }
    const v = diagnose(readRunDir(dir)).verdict;
    if (!isVerdictKind(v.kind)) throw new Error(`${dir}: a verdict of unknown kind ${v.kind}`);
    const got = VERDICT_KINDS[v.kind].class;
    if (v.kind !== r.kind) changed.push(`${r.server}-${r.run}: ${r.kind ?? 'none'} -> ${v.kind}`);
    return {
      ...r,
      kind: v.kind,
      got,
      // What `--fail-on growth` exits with on this verdict.
      exitCode: got === 'growth' ? ExitCode.memoryGrowth : ExitCode.ok,
      summary: v.summary,
      evidence: v.evidence[0] ?? '',
    };
  });
  return { runs: out, changed, missing };
}
