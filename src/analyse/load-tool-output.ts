import { LeakbenchError } from '../errors.ts';
import type { PhaseLoadSummary } from '../rundir/schema.ts';
import type { LoadSpan } from './phase-detect.ts';

/**
 * The load windows of another tool's output, placed on the run's clock (seconds since
 * `startedAtMs`), for a watched run's phases: autocannon's `--json`, hey's `-o csv` and
 * vegeta's `encode` JSON lines. Pure: text in, spans out; the caller reads the file.
 */

export interface LoadToolOutput {
  tool: 'autocannon' | 'hey' | 'vegeta';
  spans: LoadSpan[];
  /** How it was read, in words, for the report's "how the phases were found". */
  detail: string;
}

export interface LoadToolContext {
  /** The run's t = 0, epoch ms. */
  startedAtMs: number;
  /** When the file was last written (epoch ms): hey's CSV has only offsets, and ends when the file was written. */
  fileEndMs?: number;
  /** For errors. */
  file: string;
}

/** Which tool wrote `text`, told by its shape, and its load windows. */
export function readLoadToolOutput(text: string, ctx: LoadToolContext): LoadToolOutput {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('response-time,')) return fromHeyCsv(trimmed, ctx);
  if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split('\n', 1)[0]!;
    const first = parseJson(firstLine);
    if (isObj(first) && 'timestamp' in first && 'code' in first) return fromVegeta(trimmed, ctx);
    const whole = parseJson(trimmed);
    if (isObj(whole) && 'requests' in whole && 'start' in whole) return fromAutocannon(whole, ctx);
  }
  throw new LeakbenchError(
    `${ctx.file}: not a load tool output this pack reads: expected autocannon --json, hey -o csv, or vegeta encode (JSON lines)`,
  );
}

function fromAutocannon(r: Record<string, unknown>, ctx: LoadToolContext): LoadToolOutput {
  const start = Date.parse(String(r.start));
  const finish = Date.parse(String(r.finish));
  const req = isObj(r.requests) ? r.requests : {};
  const completed = num(req.total);
  if (!Number.isFinite(start) || !Number.isFinite(finish) || completed === undefined)
    throw new LeakbenchError(`${ctx.file}: autocannon JSON without start, finish or requests.total`);
  const durationS = (finish - start) / 1000;
  const codes: Record<string, number> = {};
  if (isObj(r.statusCodeStats))
    for (const [code, v] of Object.entries(r.statusCodeStats)) {
      const count = isObj(v) ? num(v.count) : undefined;
      if (count !== undefined) codes[code] = count;
    }
  const lat = isObj(r.latency) ? r.latency : {};
  const latency = ['mean', 'p50', 'p90', 'p99', 'p99_9', 'max', 'min'].map((k) => num(lat[k]));
  const [errors, timeouts, non2xx] = [num(r.errors), num(r.timeouts), num(r.non2xx)];
  // A result is written only whole: a count the tool did not give is unknown, not 0.
  const result: PhaseLoadSummary | undefined =
    errors === undefined || timeouts === undefined || non2xx === undefined
      ? undefined
      : {
          phase: 'load',
          kind: 'burst',
          requested: num(req.sent) ?? completed,
          sent: num(req.sent) ?? completed,
          completed,
          errors,
          timeouts,
          non2xx,
          statusCodes: codes,
          durationS,
          rate: durationS > 0 ? completed / durationS : 0,
          ...(latency.every((v) => v !== undefined) && {
            latency: {
              mean: latency[0]!,
              p50: latency[1]!,
              p90: latency[2]!,
              p99: latency[3]!,
              p999: latency[4]!,
              max: latency[5]!,
              min: latency[6]!,
            },
          }),
        };
  return {
    tool: 'autocannon',
    spans: [
      {
        startT: (start - ctx.startedAtMs) / 1000,
        endT: (finish - ctx.startedAtMs) / 1000,
        requests: completed,
        ...(result && { result }),
      },
    ],
    detail: `autocannon --json ${ctx.file}: ${completed} requests from ${new Date(start).toISOString()} for ${durationS.toFixed(1)} s`,
  };
}

/**
 * hey's CSV has one row per answered request with its offset from hey's start; failed requests
 * are not in it. The file is written when hey ends, so its modification time anchors the rows.
 */
function fromHeyCsv(text: string, ctx: LoadToolContext): LoadToolOutput {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split(',');
  const iOffset = header.indexOf('offset');
  const iTime = header.indexOf('response-time');
  const iCode = header.indexOf('status-code');
  if (iOffset < 0 || iTime < 0)
    throw new LeakbenchError(`${ctx.file}: hey CSV without offset and response-time columns`);
  if (ctx.fileEndMs === undefined) throw new LeakbenchError(`${ctx.file}: hey CSV needs the file's time to be placed`);
  let end = 0;
  let non2xx = 0;
  let rows = 0;
  for (const line of lines.slice(1)) {
    const cols = line.split(',');
    const offset = Number(cols[iOffset]);
    const took = Number(cols[iTime]);
    if (!Number.isFinite(offset) || !Number.isFinite(took)) continue;
    rows++;
    end = Math.max(end, offset + took);
    const code = Number(cols[iCode]);
    if (iCode >= 0 && !(code >= 200 && code < 300)) non2xx++;
  }
  if (rows === 0) throw new LeakbenchError(`${ctx.file}: hey CSV with no rows`);
  const endT = (ctx.fileEndMs - ctx.startedAtMs) / 1000;
  return {
    tool: 'hey',
    spans: [{ startT: endT - end, endT, requests: rows }],
    detail: `hey -o csv ${ctx.file}: ${rows} answers${non2xx > 0 ? ` (${non2xx} not 2xx)` : ''} over ${end.toFixed(1)} s, placed by the file's time (hey writes no clock time)`,
  };
}

/** vegeta encode: one JSON result a line, with its clock time and latency (ns). */
function fromVegeta(text: string, ctx: LoadToolContext): LoadToolOutput {
  let first = Infinity;
  let last = -Infinity;
  let ok = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = parseJson(line);
    if (!isObj(r)) continue;
    const at = Date.parse(String(r.timestamp));
    if (!Number.isFinite(at)) continue;
    first = Math.min(first, at);
    last = Math.max(last, at + (num(r.latency) ?? 0) / 1e6);
    if (!r.error) ok++;
  }
  if (!Number.isFinite(first)) throw new LeakbenchError(`${ctx.file}: vegeta results without timestamps`);
  return {
    tool: 'vegeta',
    spans: [{ startT: (first - ctx.startedAtMs) / 1000, endT: (last - ctx.startedAtMs) / 1000, requests: ok }],
    detail: `vegeta results ${ctx.file}: ${ok} answered over ${((last - first) / 1000).toFixed(1)} s`,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
