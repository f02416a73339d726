import { existsSync, readFileSync, statSync } from 'node:fs';
import { detectPhases, type PhaseDetection, type PhaseSpan } from '../analyse/phase-detect.ts';
import { readLoadToolOutput } from '../analyse/load-tool-output.ts';
import { readMarks } from '../rundir/marks.ts';
import { FILES, SCHEMA, type Sample } from '../rundir/schema.ts';
import { readNdjson } from '../rundir/ndjson.ts';
import { join } from 'node:path';

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
  // Nothing the pack sampled shows activity (--prometheus-url --pod alone): the server's series
  // of the pod's CPU and requests, read back at the end, may.
  const server = hasActivity(i.samples) ? undefined : serverSamples(i.dir);
  const found = detectPhases({
    samples: server ?? i.samples,
    ...(i.override && { override: i.override }),
    marks: readMarks(i.dir),
    ...(loadTool && { loadTool }),
  });
  if (server && found.finding?.how === 'activity')
    found.finding = { ...found.finding, detail: `${found.finding.detail}, in the Prometheus server's series` };
  return found;
}

const ACTIVITY: readonly (keyof Sample)[] = ['cpuSeconds', 'requestsServed', 'connEstablished', 'connOpened'];

function hasActivity(samples: readonly Sample[]): boolean {
  return samples.some((s) => ACTIVITY.some((k) => s[k] !== undefined));
}

/** prometheus.ndjson's samples when they show activity; it is written once the watch is over. */
function serverSamples(dir: string): Sample[] | undefined {
  const file = join(dir, FILES.prometheus);
  if (!existsSync(file)) return undefined;
  try {
    const { records } = readNdjson<Sample>(file, SCHEMA.samples);
    return hasActivity(records) ? records : undefined;
  } catch {
    // A damaged file leaves the phases to what the pack sampled itself.
    return undefined;
  }
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
