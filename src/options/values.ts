import parseDuration from 'parse-duration';
import { UsageError } from '../errors.ts';

/**
 * Value parsers for flags. Each one names the flag and what was expected in its error, so
 * that a user sees e.g. `--duration: expected a duration with a unit like 30s, 10m or 1h30m, got "10"`.
 */

export function durationMs(flag: string, raw: string, { min = 1, max = 7 * 24 * 3600_000 } = {}): number {
  const value = raw.trim();
  // A bare number is ambiguous (seconds? ms?), so a unit is required.
  if (value === '' || /^[+-]?\d+(\.\d+)?$/.test(value)) {
    throw new UsageError(
      `--${flag}: expected a duration with a unit like 30s, 10m or 1h30m, got ${JSON.stringify(raw)}`,
    );
  }
  const ms = parseDuration(value);
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    throw new UsageError(
      `--${flag}: expected a duration with a unit like 30s, 10m or 1h30m, got ${JSON.stringify(raw)}`,
    );
  }
  if (ms < min) throw new UsageError(`--${flag}: must be at least ${formatMs(min)}, got ${JSON.stringify(raw)}`);
  if (ms > max) throw new UsageError(`--${flag}: must be at most ${formatMs(max)}, got ${JSON.stringify(raw)}`);
  return ms;
}

export function positiveInt(flag: string, raw: string, { max = Number.MAX_SAFE_INTEGER } = {}): number {
  const value = raw.trim().replace(/_/g, '');
  // Accept 1e6 and 1_000_000 because the report talks about "1M requests".
  if (!/^(\d+|\d+(\.\d+)?e\d+)$/i.test(value)) {
    throw new UsageError(`--${flag}: expected a whole number greater than 0, got ${JSON.stringify(raw)}`);
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${flag}: expected a whole number greater than 0, got ${JSON.stringify(raw)}`);
  if (n > max) throw new UsageError(`--${flag}: must be at most ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

export function positiveNumber(
  flag: string,
  raw: string,
  { max = 1e6, unit = '' }: { max?: number; unit?: string } = {},
): number {
  const value = raw.trim();
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${flag}: expected a number greater than 0, got ${JSON.stringify(raw)}`);
  }
  if (n > max)
    throw new UsageError(`--${flag}: must be at most ${max}${unit && ` ${unit}`}, got ${JSON.stringify(raw)}`);
  return n;
}

export function httpUrl(flag: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--${flag}: expected an http:// or https:// URL like http://127.0.0.1:8080, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--${flag}: expected an http:// or https:// URL, got scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))}`,
    );
  }
  if (url.hostname === '') throw new UsageError(`--${flag}: the URL has no host: ${JSON.stringify(raw)}`);
  return url;
}

export function urlPath(flag: string, raw: string): string {
  if (!raw.startsWith('/') || /\s/.test(raw)) {
    throw new UsageError(
      `--${flag}: expected a path starting with / and without spaces, like /health_check, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

export function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** A run name becomes a directory name under the reports folder: keep it to one safe segment. */
export function runName(flag: string, raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(raw)) {
    throw new UsageError(
      `--${flag}: expected 1-80 letters, digits, dots, dashes or underscores (no slashes), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

export function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3600_000 === 0) return `${ms / 3600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
};

/** Kubernetes-style quantities (256Mi, 1Gi, 500M) as pod limits are written, or plain bytes. */
export function sizeBytes(flag: string, raw: string, { min = 1, max = 2 ** 50 } = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(raw);
  const unit = m ? SIZE_UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(`--${flag}: expected a size like 256Mi, 1Gi or 500M, got ${JSON.stringify(raw)}`);
  }
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes < min) throw new UsageError(`--${flag}: must be at least ${formatSize(min)}, got ${JSON.stringify(raw)}`);
  if (bytes > max) throw new UsageError(`--${flag}: must be at most ${formatSize(max)}, got ${JSON.stringify(raw)}`);
  return bytes;
}

function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}
