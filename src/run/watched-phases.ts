import { existsSync, readFileSync, statSync } from 'node:fs';
import { detectPhases, type PhaseDetection, type PhaseSpan } from '../analyse/phase-detect.ts';
import { readLoadToolOutput } from '../analyse/load-tool-output.ts';
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

/**
 * The end of a watched run's progress line: the phase at `t` (the latest sample) as found so
 * far, how, and how sure. Phases the user gave may lie ahead; only the current one is named.
 */
export function phaseSoFarNote(d: PhaseDetection, t: number): string {
  const now = [...d.phases].reverse().find((p) => (p.startT ?? 0) <= t && (p.endT === undefined || t <= p.endT));
  if (!now) return d.phases.length === 0 ? 'phase: none found yet' : 'phase: between the phases found';
  const state = now.kind === 'burst' ? 'under load' : 'at rest';
  return `phase: ${now.name} (${state}) since t=${Math.round(now.startT ?? 0)} s, from ${d.finding?.how ?? 'unknown'} (${d.finding?.confidence ?? 'unsure'})`;
}
