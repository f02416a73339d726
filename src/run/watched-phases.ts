import { existsSync, readFileSync, statSync } from 'node:fs';
import { detectPhases, type PhaseDetection, type PhaseSpan } from '../analyse/phase-detect.ts';
import { readLoadToolOutput } from '../analyse/load-tool-output.ts';
import { formatMiB } from '../analyse/format.ts';
import { readMarks } from '../rundir/marks.ts';
import type { Sample } from '../rundir/schema.ts';

/**
 * The phases of a watched run at its end, from what it has: the user's --phases, the marks
 * file in its directory, a load tool's output (--load-output), else the samples. The one place
 * a watched run reads these files; src/analyse/phase-detect.ts does the finding.
 */
export interface WatchedPhaseInputs {
  dir: string;
  startedAtMs: number;
  samples: readonly Sample[];
  override?: readonly PhaseSpan[];
  loadOutput?: string;
  warn: (message: string) => void;
}

export function findWatchedPhases(i: WatchedPhaseInputs): PhaseDetection {
  let loadTool: Parameters<typeof detectPhases>[0]['loadTool'];
  if (i.loadOutput !== undefined) {
    if (!existsSync(i.loadOutput))
      i.warn(`--load-output: ${i.loadOutput} was not written; phases are found without it`);
    else {
      try {
        const out = readLoadToolOutput(readFileSync(i.loadOutput, 'utf8'), {
          startedAtMs: i.startedAtMs,
          fileEndMs: statSync(i.loadOutput).mtimeMs,
          file: i.loadOutput,
        });
        loadTool = out;
      } catch (err) {
        i.warn(`--load-output: ${(err as Error).message}; phases are found without it`);
      }
    }
  }
  return detectPhases({
    samples: i.samples,
    ...(i.override && { override: i.override }),
    marks: readMarks(i.dir),
    ...(loadTool && { loadTool }),
  });
}

/** One line of a watched run's progress: elapsed, samples, RSS now and the phase found so far. */
export function watchProgressLine(elapsedS: number, samples: readonly Sample[], d: PhaseDetection): string {
  const rss = samples.at(-1)?.vmRss;
  const last = d.phases.at(-1);
  const phase = last
    ? `${last.name} (${last.kind === 'burst' ? 'under load' : 'at rest'}) since t=${Math.round(last.startT ?? 0)} s, found from ${d.finding?.how} (${d.finding?.confidence})`
    : 'none found yet';
  return `${Math.round(elapsedS)} s, ${samples.length} samples, RSS ${rss === undefined ? 'n/a' : formatMiB(rss)}, phase: ${phase}`;
}
