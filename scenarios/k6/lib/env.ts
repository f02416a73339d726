/**
 * The k6 scripts' parameters, read from `__ENV` (k6 `-e NAME=value`, or a pod's env in
 * k6-operator). Pure and free of k6 and Node APIs: the k6 bundle runs it in k6's runtime, and
 * the Node unit tests check that its defaults are the built-in runner's (DEFAULTS).
 *
 * Names carry a LEAKBENCH_ prefix because k6 passes the system environment through by
 * default (`--include-system-env-vars`), where a bare PATH or URL would already mean something.
 */
import type { ScenarioParams } from '../../../src/load/phases.ts';
import { DEFAULTS } from '../../../src/options/defaults.ts';
import { connectionsExceedRequests, LIMITS, type Range } from '../../../src/options/rules.ts';

export const ENV_NAMES = {
  url: 'LEAKBENCH_URL',
  path: 'LEAKBENCH_PATH',
  rate: 'LEAKBENCH_RATE',
  duration: 'LEAKBENCH_DURATION',
  probeTimeout: 'LEAKBENCH_PROBE_TIMEOUT',
  requests: 'LEAKBENCH_REQUESTS',
  connections: 'LEAKBENCH_CONNECTIONS',
  requestTimeout: 'LEAKBENCH_REQUEST_TIMEOUT',
  idleBefore: 'LEAKBENCH_IDLE_BEFORE',
  idleAfter: 'LEAKBENCH_IDLE_AFTER',
  maxDuration: 'LEAKBENCH_MAX_DURATION',
  summary: 'LEAKBENCH_SUMMARY',
} as const;

/** The bundled Gin server listens on :8080 unless told otherwise (targets/gin-health-check). */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/**
 * How long a shared-iterations burst may take before k6 stops it. k6's own default (10m) would
 * silently drop the rest of a 1M-request burst against a slow -race build; an hour is far
 * above the ~45 s the bundled race build needs; the soak's probes after the burst wait for
 * the burst's VUs, not for this cap.
 */
export const DEFAULT_MAX_DURATION_MS = 60 * 60_000;

export interface K6ScriptEnv {
  /** scheme://host[:port], no trailing slash. */
  baseUrl: string;
  params: ScenarioParams;
  /** shared-iterations maxDuration of every burst phase. */
  maxDurationMs: number;
  /** Where handleSummary writes the summary JSON: a file path, "stdout", or undefined for none. */
  summaryTarget: string | undefined;
}

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads every parameter, naming the variable in the error when one is bad. */
export function readScriptEnv(env: Env): K6ScriptEnv {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const { baseUrl, urlPath } = splitUrl(get(ENV_NAMES.url) ?? DEFAULT_BASE_URL);
  const rawPath = get(ENV_NAMES.path);
  const path = rawPath !== undefined ? checkPath(ENV_NAMES.path, rawPath) : (urlPath ?? DEFAULTS.path);
  const dur = (name: string, fallback: number, range: Range): number => {
    const raw = get(name);
    return raw === undefined ? fallback : durationMs(name, raw, range.min, range.max);
  };
  // The same ranges and rules as the CLI's flags (src/options/rules.ts), so a value one engine refuses the other refuses too.
  const requests =
    get(ENV_NAMES.requests) === undefined
      ? DEFAULTS.requests
      : wholeNumber(ENV_NAMES.requests, get(ENV_NAMES.requests)!, LIMITS.requests.max);
  const connections =
    get(ENV_NAMES.connections) === undefined
      ? DEFAULTS.connections
      : wholeNumber(ENV_NAMES.connections, get(ENV_NAMES.connections)!, LIMITS.connections.max);
  const tooMany = connectionsExceedRequests(connections, requests);
  if (tooMany) throw new EnvError(`${ENV_NAMES.connections}: ${tooMany} (${ENV_NAMES.requests})`);
  const params: ScenarioParams = {
    path,
    rate:
      get(ENV_NAMES.rate) === undefined
        ? DEFAULTS.rate
        : positiveNumber(ENV_NAMES.rate, get(ENV_NAMES.rate)!, LIMITS.rate.max),
    durationMs: dur(ENV_NAMES.duration, DEFAULTS.durationMs, LIMITS.durationMs),
    probeTimeoutMs: dur(ENV_NAMES.probeTimeout, DEFAULTS.probeTimeoutMs, LIMITS.probeTimeoutMs),
    requests,
    connections,
    requestTimeoutMs: dur(ENV_NAMES.requestTimeout, DEFAULTS.requestTimeoutMs, LIMITS.requestTimeoutMs),
    idleBeforeMs: dur(ENV_NAMES.idleBefore, DEFAULTS.idleBeforeMs, LIMITS.idleBeforeMs),
    idleAfterMs: dur(ENV_NAMES.idleAfter, DEFAULTS.idleAfterMs, LIMITS.idleAfterMs),
  };
  return {
    baseUrl,
    params,
    maxDurationMs: dur(ENV_NAMES.maxDuration, DEFAULT_MAX_DURATION_MS, LIMITS.durationMs),
    summaryTarget: get(ENV_NAMES.summary),
  };
}

/**
 * k6's runtime has no WHATWG URL, so the URL is split by hand: enough to tell the origin from
 * the path, which is all the scripts need.
 */
export function splitUrl(raw: string): { baseUrl: string; urlPath: string | undefined } {
  const m = /^(https?):\/\/([^/?#\s]+)([^#\s]*)$/i.exec(raw);
  if (!m)
    throw new EnvError(
      `${ENV_NAMES.url}: expected an http:// or https:// URL like http://127.0.0.1:8080, got ${JSON.stringify(raw)}`,
    );
  const rest = m[3] ?? '';
  const urlPath = rest === '' || rest === '/' ? undefined : rest.startsWith('/') ? rest : `/${rest}`;
  return { baseUrl: `${m[1]!.toLowerCase()}://${m[2]!}`, urlPath };
}

function checkPath(name: string, raw: string): string {
  if (!raw.startsWith('/') || /\s/.test(raw))
    throw new EnvError(
      `${name}: expected a path starting with / and without spaces, like /health_check, got ${JSON.stringify(raw)}`,
    );
  return raw;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };

/** Go-style durations as k6 writes them: 500ms, 30s, 10m, 1h30m. A bare number has no unit and is refused. */
export function durationMs(name: string, raw: string, min: number, max: number): number {
  const bad = () =>
    new EnvError(`${name}: expected a duration with a unit like 30s, 10m or 1h30m, got ${JSON.stringify(raw)}`);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw)) throw bad();
  let ms = 0;
  for (const part of raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(part[1]) * UNIT_MS[part[2]!]!;
  if (!Number.isFinite(ms)) throw bad();
  if (ms < min) throw new EnvError(`${name}: must be at least ${min} ms, got ${JSON.stringify(raw)}`);
  if (ms > max) throw new EnvError(`${name}: must be at most ${max} ms, got ${JSON.stringify(raw)}`);
  return ms;
}

function wholeNumber(name: string, raw: string, max: number): number {
  const value = raw.replace(/_/g, '');
  // 1e6 and 1_000_000 as on the CLI, because the report talks about "1M requests".
  const n = /^(\d+|\d+(\.\d+)?e\d+)$/i.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n <= 0)
    throw new EnvError(`${name}: expected a whole number greater than 0, got ${JSON.stringify(raw)}`);
  if (n > max) throw new EnvError(`${name}: must be at most ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function positiveNumber(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new EnvError(`${name}: expected a number greater than 0, got ${JSON.stringify(raw)}`);
  if (n > max) throw new EnvError(`${name}: must be at most ${max}, got ${JSON.stringify(raw)}`);
  return n;
}
