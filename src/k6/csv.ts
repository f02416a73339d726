/**
 * k6's `--out csv` rows. The header is `metric_name,timestamp,metric_value`, then one column
 * per indexable system tag (sorted), then `extra_tags` (every other tag as k=v&k=v, which is
 * where `--tag instance_id=N` from k6-operator lands) and, in newer k6, `metadata` (vu, iter).
 * Source: grafana/k6 output/csv/output.go (MakeHeader, SampleToRow); k6-docs
 * results-output/real-time/csv for the header as documented. Rows are written by Go's
 * encoding/csv, so a field with a comma, quote or newline is quoted: read-input.ts reads them
 * with csv-parse, and this file makes points of its records.
 */
import { parseCsvTime } from './time.ts';

export interface CsvColumns {
  metric: number;
  time: number;
  value: number;
  /** Columns that are tags, by name. */
  tags: [name: string, index: number][];
  extraTags: number | undefined;
}

export function csvColumns(header: string[]): CsvColumns | undefined {
  const at = (n: string) => header.indexOf(n);
  if (at('metric_name') !== 0 || at('timestamp') < 0 || at('metric_value') < 0) return undefined;
  const skip = new Set(['metric_name', 'timestamp', 'metric_value', 'extra_tags', 'metadata']);
  return {
    metric: 0,
    time: at('timestamp'),
    value: at('metric_value'),
    tags: header.flatMap((name, i): [string, number][] => (skip.has(name) ? [] : [[name, i]])),
    extraTags: at('extra_tags') >= 0 ? at('extra_tags') : undefined,
  };
}

export function parseExtraTags(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (s === '') return out;
  for (const pair of s.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export interface CsvPoint {
  metric: string;
  timeMs: number;
  value: number;
  tags: Record<string, string>;
}

/** A row as a point, or a reason it is not one. */
export function csvPoint(fields: string[], cols: CsvColumns): CsvPoint | string {
  const timeMs = parseCsvTime(fields[cols.time] ?? '');
  if (timeMs === undefined) return `timestamp ${JSON.stringify(fields[cols.time] ?? '')} is not a time k6 writes`;
  const value = Number(fields[cols.value]);
  if (fields[cols.value] === undefined || fields[cols.value] === '' || !Number.isFinite(value))
    return `metric_value ${JSON.stringify(fields[cols.value] ?? '')} is not a number`;
  const tags: Record<string, string> = cols.extraTags === undefined ? {} : parseExtraTags(fields[cols.extraTags] ?? '');
  for (const [name, i] of cols.tags) {
    const v = fields[i];
    if (v !== undefined && v !== '') tags[name] = v;
  }
  return { metric: fields[cols.metric]!, timeMs, value, tags };
}
