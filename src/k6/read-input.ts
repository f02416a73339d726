/**
 * Reads one k6 output file, whatever k6 wrote: the `--out json` stream, the `--out csv` stream
 * (either gzipped, as k6 does for a `.gz` name), a handleSummary JSON, or the `kubectl logs` of
 * a k6-operator runner (the JSON stream on stdout, the summary line from the pack's scripts,
 * and k6's log lines, which are skipped). Streams line by line: a 1M-request run is gigabytes.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync, createGunzip } from 'node:zlib';
import { UsageError } from '../errors.ts';
import { parse as parseCsv } from 'csv-parse';
import { csvColumns, csvPoint, type CsvColumns } from './csv.ts';
import { looksLikeSummary, parseSummary, type K6SummaryInfo } from './summary.ts';
import { parseRfc3339 } from './time.ts';

export interface K6Point {
  metric: string;
  timeMs: number;
  /** k6's unit: milliseconds for time metrics, a count or 0/1 otherwise. */
  value: number;
  tags: Record<string, string>;
}

/** The metrics the report is built from; everything else is passed over unparsed, for speed. */
export const USED_METRICS = ['http_reqs', 'http_req_duration'] as const;

export interface FileReport {
  path: string;
  format: 'json' | 'csv' | 'summary';
  points: number;
  summaries: number;
  /** Lines that were not k6 records (log lines in `kubectl logs` output). */
  skippedLines: number;
  warnings: string[];
}

export interface InputSink {
  point(p: K6Point, file: string): void;
  summary(s: K6SummaryInfo, file: string): void;
}

const bad = (path: string, line: number | undefined, why: string) =>
  new UsageError(`--k6: ${path}${line === undefined ? '' : `:${line}`}: ${why}`);

/** The files a --k6 argument names: the file, or every regular file in the directory. */
export function expandInputs(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw bad(p, undefined, 'no such file or directory');
    if (statSync(p).isDirectory()) {
      const files = readdirSync(p)
        .filter((f) => !f.startsWith('.'))
        .sort()
        .map((f) => join(p, f))
        .filter((f) => statSync(f).isFile());
      if (files.length === 0) throw bad(p, undefined, 'the directory has no files');
      out.push(...files);
    } else {
      out.push(p);
    }
  }
  const seen = new Set<string>();
  for (const f of out) {
    // The same output twice would count every request twice.
    if (seen.has(f)) throw bad(f, undefined, 'given more than once');
    seen.add(f);
  }
  return out;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function open(path: string): NodeJS.ReadableStream {
  const raw = createReadStream(path);
  return isGzip(path) ? raw.pipe(createGunzip()) : raw;
}

function lines(path: string): AsyncIterable<string> {
  return createInterface({ input: open(path), crlfDelay: Infinity });
}

/**
 * k6's `--out csv` through csv-parse (Go's encoding/csv quotes a field with a comma, quote or
 * newline). Rows of metrics the import does not use are skipped unchecked; a used row that is
 * not a point is an error naming its line, except a quoted field left open by a killed k6 at
 * the very end, which is a warning.
 */
async function readCsvFile(path: string, report: FileReport, sink: InputSink): Promise<void> {
  report.format = 'csv';
  const rows = open(path).pipe(parseCsv({ relax_column_count: true, skip_empty_lines: true, info: true }));
  let cols: CsvColumns | undefined;
  let endLine = 0;
  try {
    for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const startLine = endLine + 1;
      endLine = info.lines;
      if (!cols) {
        cols = csvColumns(record);
        if (!cols) throw bad(path, startLine, 'a CSV header without metric_name,timestamp,metric_value');
        continue;
      }
      if (!USED_METRICS.includes(record[0] as (typeof USED_METRICS)[number])) continue;
      const p = csvPoint(record, cols);
      if (typeof p === 'string') throw bad(path, startLine, p);
      report.points++;
      sink.point(p, path);
    }
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'CSV_QUOTE_NOT_CLOSED') throw err;
    report.warnings.push(`${basename(path)}:${endLine + 1}: last CSV row is cut short; ignored`);
  }
}

export async function readK6File(path: string, sink: InputSink): Promise<FileReport> {
  const report: FileReport = { path, format: 'json', points: 0, summaries: 0, skippedLines: 0, warnings: [] };
  let n = 0;
  let pending: { line: number; why: string } | undefined;
  let first = true;
  try {
    for await (const line of lines(path)) {
      n++;
      if (pending) throw bad(path, pending.line, pending.why);
      if (first) {
        if (line.trim() === '') continue;
        first = false;
        if (line.startsWith('metric_name,')) {
          await readCsvFile(path, report, sink);
          break;
        }
        if (line.trim() === '{' || line.trim() === '[') return readWholeJson(path, report, sink);
      }
      const why = jsonLine(line, path, report, sink);
      // A run killed mid-write leaves one partial last line; only a bad line before the end is an error.
      if (why !== undefined) pending = { line: n, why };
    }
  } catch (err) {
    // Only the file system and gunzip fail here with a code; anything else is the caller's to report.
    if (typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
    throw bad(path, undefined, `cannot read: ${(err as Error).message}`);
  }
  if (pending)
    report.warnings.push(`${basename(path)}:${pending.line}: last line is cut short (${pending.why}); ignored`);
  if (first) throw bad(path, undefined, 'the file is empty');
  if (report.points === 0 && report.summaries === 0) {
    throw bad(
      path,
      undefined,
      `no k6 results in it (expected --out json lines, --out csv rows with ${USED_METRICS.join(' or ')}, or a handleSummary JSON)`,
    );
  }
  if (report.points === 0) report.format = 'summary';
  return report;
}

/** Returns why a line that should be a k6 record is not one; undefined when handled. */
function jsonLine(line: string, path: string, report: FileReport, sink: InputSink): string | undefined {
  const t = line.trimStart();
  if (!t.startsWith('{')) {
    if (t !== '') report.skippedLines++;
    return undefined;
  }
  const isPoint = USED_METRICS.some((m) => t.includes(`"${m}"`)) && t.includes('"Point"');
  const isSummary = t.includes('"metrics"') && (t.includes('"root_group"') || t.includes('"state"'));
  if (!isPoint && !isSummary) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return 'not valid JSON';
  }
  if (looksLikeSummary(v)) {
    report.summaries++;
    sink.summary(parseSummary(v), path);
    return undefined;
  }
  const rec = v as { type?: unknown; metric?: unknown; data?: { time?: unknown; value?: unknown; tags?: unknown } };
  if (rec.type !== 'Point' || !(USED_METRICS as readonly unknown[]).includes(rec.metric)) return undefined;
  // {"type":"Point","metric":...,"data":{"time":RFC3339,"value":n,"tags":{...}|null}} (k6-docs
  // results-output/real-time/json; grafana/k6 output/json/wrapper.go sampleEnvelope).
  const timeMs = typeof rec.data?.time === 'string' ? parseRfc3339(rec.data.time) : undefined;
  if (timeMs === undefined) return `data.time ${JSON.stringify(rec.data?.time)} is not an RFC 3339 time`;
  const value = rec.data?.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'data.value is not a number';
  const rawTags = rec.data?.tags;
  const tags: Record<string, string> = {};
  if (typeof rawTags === 'object' && rawTags !== null) {
    for (const [k, val] of Object.entries(rawTags)) if (typeof val === 'string') tags[k] = val;
  }
  report.points++;
  sink.point({ metric: rec.metric as string, timeMs, value, tags }, path);
  return undefined;
}

/** A summary written as one indented JSON document (`JSON.stringify(data, null, 2)`). */
function readWholeJson(path: string, report: FileReport, sink: InputSink): FileReport {
  let v: unknown;
  try {
    const buf = readFileSync(path);
    v = JSON.parse((isGzip(path) ? gunzipSync(buf) : buf).toString('utf8'));
  } catch (err) {
    throw bad(path, undefined, `not valid JSON (${(err as Error).message})`);
  }
  if (!looksLikeSummary(v))
    throw bad(path, undefined, 'a JSON document, but not a k6 summary (no "metrics" with "state" or "root_group")');
  report.format = 'summary';
  report.summaries = 1;
  sink.summary(parseSummary(v), path);
  return report;
}
