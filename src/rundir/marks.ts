import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LeakbenchError } from '../errors.ts';
import { MARK_NAMES, type Mark } from './schema.ts';
import { readNdjson } from './ndjson.ts';
import { FILES, SCHEMA, type MarkRecord, type RunFile } from './schema.ts';

/**
 * The marks file of a watched run: `leakbench mark burst-start` from another shell appends a
 * line, the run reads them all when it ends. Appended with one write a line, so marks from two
 * shells interleave whole.
 */

/** Appends a mark to the run in `dir`, on its clock; returns what was written. */
export function appendMark(dir: string, name: Mark['name'], nowMs = Date.now()): MarkRecord {
  const run = readRunFile(dir);
  const file = join(dir, FILES.marks);
  if (!existsSync(file))
    appendFileSync(file, JSON.stringify({ schema: SCHEMA.marks, startedAtMs: run.startedAtMs }) + '\n');
  const record: MarkRecord = { t: Math.round(nowMs - run.startedAtMs) / 1000, name, atMs: nowMs };
  appendFileSync(file, JSON.stringify(record) + '\n');
  return record;
}

/** The marks of the run in `dir` (none when there is no marks file); a line of another shape is left out. */
export function readMarks(dir: string): Mark[] {
  const file = join(dir, FILES.marks);
  if (!existsSync(file)) return [];
  return readNdjson<MarkRecord>(file, SCHEMA.marks).records.filter(
    (r) => typeof r.t === 'number' && (MARK_NAMES as readonly string[]).includes(r.name),
  );
}

/**
 * The newest run directory under `outDir` whose run.json says it is still running: the watched
 * run a `leakbench mark` without --run-dir is for.
 */
export function newestRunningRun(outDir: string): string {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    throw new LeakbenchError(`--out: no run directory ${outDir} (start leakbench sample first, or give --run-dir)`);
  }
  const running = names
    .map((n) => join(outDir, n))
    .filter((d) => existsSync(join(d, FILES.run)))
    .map((d) => ({ d, run: safeRun(d) }))
    .filter((x) => x.run?.status === 'running')
    .sort((a, b) => b.run!.startedAtMs - a.run!.startedAtMs);
  if (running.length === 0)
    throw new LeakbenchError(
      `no running run in ${outDir}: start leakbench sample first, or give the run with --run-dir`,
    );
  return running[0]!.d;
}

function safeRun(dir: string): RunFile | undefined {
  try {
    return readRunFile(dir);
  } catch {
    return undefined;
  }
}

function readRunFile(dir: string): RunFile {
  const file = join(dir, FILES.run);
  if (!existsSync(file) || !statSync(dir).isDirectory())
    throw new LeakbenchError(`--run-dir: ${dir} is not a run directory (no ${FILES.run})`);
  const run = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
  if (run.schema !== SCHEMA.run || typeof run.startedAtMs !== 'number')
    throw new LeakbenchError(`--run-dir: ${file} is not a ${SCHEMA.run} file`);
  return run;
}
