/**
 * The memory side of a k6 run: a `npm run sample` run directory (or a bare samples.ndjson),
 * recorded on another clock. Both sides carry wall-clock epoch milliseconds (the NDJSON
 * header's startedAtMs, k6's sample timestamps), so joining is a shift of the sample times
 * onto the imported run's t = 0; the machines' clocks must agree (NTP), which the report
 * cannot check beyond warning when the two do not overlap at all.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LeakbenchError, UsageError } from '../errors.ts';
import { readJson } from '../rundir/json.ts';
import { readNdjson } from '../rundir/ndjson.ts';
import { FILES, SCHEMA, type RunEvent, type RunFile, type Sample } from '../rundir/schema.ts';

export interface SampleSide {
  path: string;
  startedAtMs: number;
  samples: Sample[];
  /** prometheus.ndjson of the sample run, when it read one back. */
  prometheus?: { startedAtMs: number; samples: Sample[] };
  events: RunEvent[];
  run?: RunFile;
  warnings: string[];
}

export function readSampleSide(path: string): SampleSide {
  if (!existsSync(path)) throw new UsageError(`--samples: ${path}: no such file or directory`);
  const dir = statSync(path).isDirectory() ? path : undefined;
  const file = dir ? join(dir, FILES.samples) : path;
  try {
    const s = readNdjson<Sample>(file, SCHEMA.samples);
    const side: SampleSide = {
      path,
      startedAtMs: s.header.startedAtMs,
      samples: s.records.filter((r) => typeof r?.t === 'number'),
      events: [],
      warnings: [...s.warnings],
    };
    if (typeof side.startedAtMs !== 'number')
      throw new UsageError(`--samples: ${file}: its header has no startedAtMs, so it cannot be placed in time`);
    if (!dir) return side;
    if (existsSync(join(dir, FILES.run))) side.run = readJson<RunFile>(join(dir, FILES.run), SCHEMA.run);
    if (existsSync(join(dir, FILES.events))) {
      const e = readNdjson<RunEvent>(join(dir, FILES.events), SCHEMA.events);
      side.events = e.records.map((r) => ({ ...r, t: r.t + (e.header.startedAtMs - side.startedAtMs) / 1000 }));
    }
    if (existsSync(join(dir, FILES.prometheus))) {
      const p = readNdjson<Sample>(join(dir, FILES.prometheus), SCHEMA.samples);
      side.prometheus = {
        startedAtMs: p.header.startedAtMs,
        samples: p.records.filter((r) => typeof r?.t === 'number'),
      };
    }
    return side;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof LeakbenchError) throw new UsageError(`--samples: ${err.message}`);
    throw err;
  }
}

/** Samples re-timed so that t = 0 is `originMs`. */
export function shiftSamples(samples: readonly Sample[], fromMs: number, originMs: number): Sample[] {
  const d = (fromMs - originMs) / 1000;
  return samples.map((s) => ({ ...s, t: Math.round((s.t + d) * 1000) / 1000 }));
}
