/**
 * The one module that writes run directories: the write-side twin of read-run.ts. It owns the
 * directory's name, its file names, the schema header of every NDJSON file, run.json's atomic
 * saves, the artifacts beside them (smaps snapshots, heap profiles) and the report's output
 * files. Collectors (sampler, load phases, smaps and pprof captures, the Prometheus read-back,
 * the k6 importer) hand it records and bytes; none of them opens a file of the run directory.
 *
 * Two ways to record:
 * - live (`RunRecorder.create`): series are appended as they are measured, so a crash loses at
 *   most one line. With `onWriteFailure`, a failed write (a full or read-only disk) is reported
 *   once and later writes are dropped, so the caller can end the run cleanly instead of
 *   throwing from inside a timer callback; without it, writes throw.
 * - batch (`recordRun`): a run assembled in memory (a k6 import) is written whole.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LeakbenchError, UsageError } from '../errors.ts';
import { writeJsonAtomic } from './json.ts';
import { NdjsonWriter } from './ndjson.ts';
import {
  FILES,
  SCHEMA,
  type Artifact,
  type LoadSecond,
  type Probe,
  type RunEvent,
  type RunFile,
  type Sample,
  type SchemaId,
  type SitesArtifact,
  type SitesRecord,
} from './schema.ts';

/** The run directory's NDJSON series and the record type of each. */
export interface SeriesRecords {
  samples: Sample;
  load: LoadSecond;
  probes: Probe;
  events: RunEvent;
  /** Figures read back from a Prometheus server, in samples.ndjson's format. */
  prometheus: Sample;
  /** Allocation sites at each rest's end. */
  sites: SitesRecord;
}
export type SeriesName = keyof SeriesRecords;

const SERIES: { [K in SeriesName]: { file: string; schema: SchemaId } } = {
  samples: { file: FILES.samples, schema: SCHEMA.samples },
  load: { file: FILES.load, schema: SCHEMA.load },
  probes: { file: FILES.probes, schema: SCHEMA.probes },
  events: { file: FILES.events, schema: SCHEMA.events },
  prometheus: { file: FILES.prometheus, schema: SCHEMA.samples },
  sites: { file: FILES.sites, schema: SCHEMA.sites },
};

/** Where an artifact kind goes, and how its files are named. */
const ARTIFACTS = {
  smapsSnapshots: { folder: 'smaps', name: (seq: string, label: string) => `${seq}-${label}.txt` },
  heapProfiles: { folder: 'pprof', name: (_seq: string, label: string) => `heap-${label}.pb.gz` },
  // The extension is the profiler's own (pb.gz, heapprofile, histo.txt, tracemalloc.pickle).
  allocationProfiles: {
    folder: 'sites',
    name: (seq: string, label: string, extension = 'bin') => `${seq}-${label}.${extension}`,
  },
} as const;
export type ArtifactKind = keyof typeof ARTIFACTS;
/** What run.json lists for each kind of artifact. */
type ArtifactRecord<K extends ArtifactKind> = K extends 'allocationProfiles' ? SitesArtifact : Artifact;

/** A file-system-safe UTC time for directory names, e.g. 2026-11-26T10-00-00Z. */
export function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

/** `<parts>-<timestamp>`, the default name of every run directory the pack writes. */
export function runDirName(parts: readonly string[], at = new Date()): string {
  return [...parts, timestamp(at)].join('-');
}

/** Creates <outDir>/<name>/ and refuses to reuse one: a stored run is never overwritten. */
export function createRunDir(outDir: string, name: string, cwd = process.cwd()): string {
  const root = isAbsolute(outDir) ? outDir : resolve(cwd, outDir);
  const dir = join(root, name);
  if (existsSync(dir))
    throw new UsageError(`--name: ${dir} already exists; pick another name (stored runs are never overwritten)`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out: cannot create ${dir}: ${(err as Error).message}`);
  }
  return dir;
}

/** An open series of a live run. */
export interface SeriesAppender<T> {
  write(record: T): void;
  close(): void;
}

export interface RecorderOptions {
  /** Called once, at the first failed write; later writes are dropped. Without it writes throw. */
  onWriteFailure?: (err: Error) => void;
}

export class RunRecorder {
  readonly dir: string;
  /** The run.json being recorded; change it, then call saveRun(). */
  readonly run: RunFile;
  private readonly onWriteFailure: ((err: Error) => void) | undefined;
  private writeError: Error | undefined;
  private readonly open = new Set<SeriesAppender<unknown>>();
  private readonly artifactSeq: Record<ArtifactKind, number> = {
    smapsSnapshots: 0,
    heapProfiles: 0,
    allocationProfiles: 0,
  };

  /** Creates the run directory (see createRunDir) and saves run.json in it. */
  static create(outDir: string, name: string, run: RunFile, options: RecorderOptions = {}): RunRecorder {
    const recorder = new RunRecorder(createRunDir(outDir, name), run, options);
    recorder.saveRun();
    return recorder;
  }

  private constructor(dir: string, run: RunFile, options: RecorderOptions) {
    this.dir = dir;
    this.run = run;
    this.onWriteFailure = options.onWriteFailure;
  }

  /** The first write that failed, if any (only with onWriteFailure; otherwise writes throw). */
  get failure(): Error | undefined {
    return this.writeError;
  }

  /** Path of a file the pack hands to another process to fill (the target's log). */
  path(file: typeof FILES.targetLog): string {
    return join(this.dir, file);
  }

  /** Opens a series for appending; its header carries the run's t = 0. */
  series<K extends SeriesName>(name: K): SeriesAppender<SeriesRecords[K]> {
    const { file, schema } = SERIES[name];
    let writer: NdjsonWriter<SeriesRecords[K]> | undefined;
    this.guard(() => {
      writer = new NdjsonWriter<SeriesRecords[K]>(join(this.dir, file), { schema, startedAtMs: this.run.startedAtMs });
    });
    const appender: SeriesAppender<SeriesRecords[K]> = {
      write: (record) => {
        if (writer === undefined || this.writeError) return;
        const w = writer;
        this.guard(() => w.write(record));
      },
      close: () => {
        this.open.delete(appender as SeriesAppender<unknown>);
        try {
          writer?.close();
        } catch {
          // closing a file on a full disk can fail too; the data already written is what it is
        }
        writer = undefined;
      },
    };
    this.open.add(appender as SeriesAppender<unknown>);
    return appender;
  }

  /** Writes a whole series at once (records in the order given). */
  writeSeries<K extends SeriesName>(name: K, records: Iterable<SeriesRecords[K]>): void {
    const s = this.series(name);
    try {
      for (const r of records) s.write(r);
    } finally {
      s.close();
    }
  }

  /**
   * Saves run.json through a temporary file, so a reader never sees half of it. Tried even
   * after a failed write: how the run ended is worth a last attempt.
   */
  saveRun(): void {
    this.guard(() => writeJsonAtomic(join(this.dir, FILES.run), this.run));
  }

  /**
   * The name an artifact taken now gets (smaps/01-start.txt, pprof/heap-start.pb.gz). Numbered
   * per kind and attempt, so a capture that failed leaves a gap rather than renumbering the rest.
   */
  nextArtifact(kind: ArtifactKind, label: string, extension?: string): string {
    const seq = String(++this.artifactSeq[kind]).padStart(2, '0');
    const a = ARTIFACTS[kind];
    return join(a.folder, a.name(seq, label, extension));
  }

  /**
   * Writes an artifact's bytes, lists it in run.json and saves run.json. Throws a
   * LeakbenchError naming the file when it cannot be written: artifacts are best effort, and
   * the caller decides whether that is a warning.
   */
  saveArtifact<K extends ArtifactKind>(kind: K, artifact: ArtifactRecord<K>, contents: string | Buffer): void {
    const path = join(this.dir, artifact.file);
    try {
      mkdirSync(join(this.dir, ARTIFACTS[kind].folder), { recursive: true });
      writeFileSync(path, contents);
    } catch (err) {
      throw new LeakbenchError(`cannot write ${path}: ${(err as Error).message}`);
    }
    ((this.run[kind] ??= []) as ArtifactRecord<K>[]).push(artifact);
    this.saveRun();
  }

  /** Closes every series still open. */
  close(): void {
    for (const s of [...this.open]) s.close();
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!this.onWriteFailure) throw err;
      if (this.writeError) return;
      this.writeError = err as Error;
      this.onWriteFailure(this.writeError);
    }
  }
}

/** A run assembled in memory (a k6 import), written whole: run.json, then each series given. */
export function recordRun(
  outDir: string,
  name: string,
  run: RunFile,
  series: { [K in SeriesName]?: Iterable<SeriesRecords[K]> },
): string {
  const recorder = RunRecorder.create(outDir, name, run);
  for (const key of Object.keys(SERIES) as SeriesName[]) {
    const records = series[key];
    if (records !== undefined) recorder.writeSeries(key, records as Iterable<SeriesRecords[typeof key]>);
  }
  return recorder.dir;
}

/**
 * Writes one output file of the report (or of a comparison) into a run directory: objects as
 * JSON through a temporary file, text and images as they are.
 */
export function writeOutput(dir: string, file: string, contents: string | Buffer | object): string {
  const path = join(dir, file);
  if (typeof contents === 'string' || Buffer.isBuffer(contents)) {
    try {
      writeFileSync(path, contents);
    } catch (err) {
      throw new LeakbenchError(`cannot write ${path}: ${(err as Error).message}`);
    }
  } else {
    writeJsonAtomic(path, contents);
  }
  return path;
}
