import { existsSync, readFileSync, statSync } from 'node:fs';
import { findPhaseKind, phaseKindList } from '../phases/kinds.ts';
import { isAbsolute, join, normalize } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ExitCode, LeakbenchError } from '../errors.ts';
import { readJson } from './json.ts';
import { readNdjson } from './ndjson.ts';
import {
  type Artifact,
  FIGURES,
  RECORDED_ONLY,
  RUNTIME_ORIGINS,
  FILES,
  SCHEMA,
  type LoadSecond,
  type NdjsonHeader,
  type Probe,
  type RunEvent,
  type RunFile,
  type Sample,
  type SchemaId,
  type SitesRecord,
} from './schema.ts';

/** Everything the analysis and the report need, read from a run directory and nothing else. */
export interface RunData {
  dir: string;
  run: RunFile;
  samples: Sample[];
  /** Absent when samples.ndjson is missing. */
  samplesHeader: NdjsonHeader | undefined;
  load: LoadSecond[];
  probes: Probe[];
  events: RunEvent[];
  /** Figures read back from a Prometheus server (--prometheus-url); absent when the run had none. */
  prometheus?: Sample[];
  /** Problems that did not stop reading: missing files, a cut-short last line, dropped records. */
  warnings: string[];
  /** The text of each readable snapshot listed in run.smapsSnapshots, in the listed order. */
  smaps?: SmapsText[];
  /** Allocation sites taken at rests' ends (sites.ndjson), in time order; absent when the run has none. */
  sites?: SitesRecord[];
}

/** An smaps snapshot (run.json's Artifact) with the file's contents. */
export interface SmapsText extends Artifact {
  text: string;
}

/**
 * Reads a run directory. Only run.json is required: a run killed early, or one that never
 * reached its load phase, still deserves a report of what it did write.
 */
export function readRunDir(dir: string): RunData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LeakbenchError(
      `${dir}: not a run directory (it does not exist or is not a directory)`,
      ExitCode.badRunDir,
    );
  }
  const run = readJson<RunFile>(join(dir, FILES.run), SCHEMA.run);
  checkRunShape(run);
  const warnings: string[] = [];

  const samplesFile = readOptional<Sample>(dir, FILES.samples, SCHEMA.samples, warnings, 'memory samples');
  const loadFile = readOptional<LoadSecond>(dir, FILES.load, SCHEMA.load, warnings, 'per-second load');
  // Burst-only runs send no probes and so write no probes file: absence is normal.
  const probesFile = readOptional<Probe>(dir, FILES.probes, SCHEMA.probes, warnings, undefined);
  const eventsFile = readOptional<RunEvent>(
    dir,
    FILES.events,
    SCHEMA.events,
    warnings,
    'events (phase marks, target exits)',
  );
  // Only runs with --prometheus-url have it; a run whose server failed says so in its events.
  const prometheusFile = readOptional<Sample>(dir, FILES.prometheus, SCHEMA.samples, warnings, undefined);
  // Only runs whose runtime could be asked for allocation sites have it.
  const sitesFile = readOptional<SitesRecord>(dir, FILES.sites, SCHEMA.sites, warnings, undefined);

  return {
    dir,
    run,
    samples: byTime(keepValid(samplesFile.records, FILES.samples, isTimed, warnings).map(cleanSample), (s) => s.t),
    samplesHeader: samplesFile.header,
    load: byTime(keepValid(loadFile.records, FILES.load, isLoadSecond, warnings), (l) => l.t),
    probes: byTime(keepValid(probesFile.records, FILES.probes, isProbe, warnings), (p) => p.scheduledT),
    events: byTime(keepValid(eventsFile.records, FILES.events, isEvent, warnings), (e) => e.t),
    ...(prometheusFile.header && {
      prometheus: byTime(
        keepValid(prometheusFile.records, FILES.prometheus, isTimed, warnings).map(cleanSample),
        (s) => s.t,
      ),
    }),
    ...(sitesFile.header && {
      sites: byTime(keepValid(sitesFile.records, FILES.sites, isSitesRecord, warnings).map(cleanSites), (r) => r.t),
    }),
    warnings,
    smaps: readSmapsSnapshots(dir, run.smapsSnapshots, warnings),
  };
}

/**
 * Snapshots are large and optional: one that is missing or unreadable is a warning naming it,
 * and the report compares the ones that are there. A `.gz` name is read gunzipped.
 */
function readSmapsSnapshots(dir: string, artifacts: readonly Artifact[] | undefined, warnings: string[]): SmapsText[] {
  if (!Array.isArray(artifacts)) return [];
  const out: SmapsText[] = [];
  for (const [i, a] of artifacts.entries()) {
    if (!isObject(a) || typeof a.file !== 'string' || typeof a.label !== 'string' || !isNum(a.t)) {
      warnings.push(`${FILES.run}: smapsSnapshots[${i}] is not a {label, t, file} record; ignored`);
      continue;
    }
    // Only files inside the run directory: run.json may come from elsewhere.
    if (isAbsolute(a.file) || normalize(a.file).startsWith('..')) {
      warnings.push(`${FILES.run}: smaps snapshot "${a.label}" points outside the run directory (${a.file}); ignored`);
      continue;
    }
    try {
      const raw = readFileSync(join(dir, a.file));
      out.push({
        label: a.label,
        t: a.t,
        file: a.file,
        text: a.file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8'),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      warnings.push(
        `smaps snapshot "${a.label}" (${a.file}) ${code === 'ENOENT' ? 'is missing' : `cannot be read: ${(err as Error).message}`}, so it is left out of "where it grew"`,
      );
    }
  }
  return out;
}

interface OptionalContents<T> {
  header: NdjsonHeader | undefined;
  records: T[];
}

/** `lost` names what the report goes without when the file is missing; undefined if nothing is. */
function readOptional<T>(
  dir: string,
  file: string,
  schema: SchemaId,
  warnings: string[],
  lost: string | undefined,
): OptionalContents<T> {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (lost !== undefined) warnings.push(`${file} is missing, so the report has no ${lost}`);
    return { header: undefined, records: [] };
  }
  const contents = readNdjson<T>(path, schema);
  warnings.push(...contents.warnings);
  return { header: contents.header, records: contents.records };
}

/**
 * run.json is written by this pack, but it may come from a hand-edited or half-written run:
 * check the fields the report cannot do without, so a bad file is a message and not a crash.
 */
function checkRunShape(run: RunFile): void {
  const bad = (field: string, expected: string): never => {
    throw new LeakbenchError(`${FILES.run}: field "${field}" is missing or not ${expected}`, ExitCode.badRunDir);
  };
  if (typeof run.scenario !== 'string') bad('scenario', 'a string');
  if (typeof run.status !== 'string') bad('status', 'a string');
  if (typeof run.startedAtMs !== 'number') bad('startedAtMs', 'a number');
  if (!isObject(run.target) || typeof run.target.label !== 'string') bad('target.label', 'a string');
  if (!isObject(run.versions)) bad('versions', 'an object');
  if (!Array.isArray(run.phases)) bad('phases', 'an array');
  run.phases.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') bad(`phases[${i}].name`, 'a string');
    if (!findPhaseKind(p.kind)) bad(`phases[${i}].kind`, phaseKindList());
  });
}

/**
 * A line that parsed as JSON but is not a record of the expected shape is dropped with one
 * warning per file: plotting it would draw nonsense, and failing would lose the rest.
 */
function keepValid<T>(records: unknown[], file: string, valid: (r: unknown) => r is T, warnings: string[]): T[] {
  const kept = records.filter(valid);
  const dropped = records.length - kept.length;
  if (dropped > 0)
    warnings.push(`${file}: ${dropped} record${dropped === 1 ? '' : 's'} without the expected fields ignored`);
  return kept;
}

const SAMPLE_KEYS = [...FIGURES.map((f) => f.key), ...RECORDED_ONLY];

/** A figure that is not a finite number is treated as absent, never as 0. */
function cleanSample(s: Sample): Sample {
  const out: Sample = { t: s.t };
  for (const key of SAMPLE_KEYS) {
    const v = s[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  // Which collection the pack asked for right before this sample: the analysis reads the level
  // at rest from it (retained per burst, held after the load).
  if (typeof s.collectedBy === 'string' && (RUNTIME_ORIGINS as readonly string[]).includes(s.collectedBy))
    out.collectedBy = s.collectedBy;
  return out;
}

/** Stable sort by time, so series can be drawn and downsampled without further checks. */
function byTime<T>(records: T[], time: (r: T) => number): T[] {
  // Array sort is stable (ES2019), so records with equal times keep their file order; the
  // records are mostly in order already, which the sort handles in about one pass.
  return records.sort((a, b) => time(a) - time(b));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isTimed(r: unknown): r is Sample {
  return isObject(r) && isNum(r.t);
}

function isLoadSecond(r: unknown): r is LoadSecond {
  return (
    isObject(r) &&
    isNum(r.t) &&
    typeof r.phase === 'string' &&
    isNum(r.completed) &&
    isNum(r.errors) &&
    isNum(r.timeouts) &&
    isNum(r.non2xx)
  );
}

function isProbe(r: unknown): r is Probe {
  return isObject(r) && typeof r.phase === 'string' && isNum(r.seq) && isNum(r.scheduledT) && isNum(r.sentT);
}

function isSitesRecord(r: unknown): r is SitesRecord {
  if (!isObject(r) || !isNum(r.t) || typeof r.label !== 'string' || typeof r.source !== 'string') return false;
  return typeof r.unavailable === 'string' || (typeof r.origin === 'string' && Array.isArray(r.sites));
}

/** Sites without a name or a finite byte count are dropped: a diff of them would be nonsense. */
function cleanSites(r: SitesRecord): SitesRecord {
  if ('unavailable' in r) return r;
  return { ...r, sites: r.sites.filter((s) => isObject(s) && typeof s.site === 'string' && isNum(s.bytes)) };
}

function isEvent(r: unknown): r is RunEvent {
  return isObject(r) && isNum(r.t) && typeof r.type === 'string';
}
