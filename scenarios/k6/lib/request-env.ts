/**
 * What each k6 request is, from __ENV, mirroring the CLI's flags, and the steady phase's rate
 * and stages. Pure (no k6, no Node): the file reader is passed in (k6's open() at init).
 *
 *   LEAKBENCH_METHOD=POST                      -X
 *   LEAKBENCH_HEADERS='{"Content-Type": "application/json", "Authorization": "Bearer {env:API_TOKEN}"}'
 *                                              -H, as a JSON object (or a JSON array of "Name: value")
 *   LEAKBENCH_BODY='{"sku":"A-1"}' or @file    --body
 *   LEAKBENCH_EXPECT_STATUS=201                --expect-status
 *   LEAKBENCH_REQUESTS_FILE=requests.txt       --requests-file (same format; open() resolves a
 *                                              relative path against the script, so give it absolute)
 *   LEAKBENCH_SECRET_HEADERS=X-Tenant          --secret-header, comma-separated
 *   LEAKBENCH_STAGES=30s:50,5m:200,30s:0       --stages
 *
 * `{env:NAME}` in a header value is read from __ENV when k6 starts (`-e API_TOKEN=...`, or the
 * environment k6 passes through): the bundle and the summary never hold the value.
 */
import { DEFAULTS } from '../../../src/options/defaults.ts';
import {
  parseRequestsFile,
  parseStatuses,
  headerProblem,
  RequestsFileError,
} from '../../../src/options/requests-file.ts';
import { envNames, METHODS, type RequestDef, type RequestMix } from '../../../src/options/request-def.ts';
import type { RateStage } from '../../../src/load/phases.ts';
import { parseStages } from '../../../src/options/stages.ts';
import { durationMs, EnvError } from './env.ts';

export const REQUEST_ENV = {
  method: 'LEAKBENCH_METHOD',
  headers: 'LEAKBENCH_HEADERS',
  body: 'LEAKBENCH_BODY',
  expectStatus: 'LEAKBENCH_EXPECT_STATUS',
  requestsFile: 'LEAKBENCH_REQUESTS_FILE',
  secretHeaders: 'LEAKBENCH_SECRET_HEADERS',
  stages: 'LEAKBENCH_STAGES',
  rate: 'LEAKBENCH_RATE',
} as const;

export interface RequestEnv {
  mix?: RequestMix;
  secretHeaders: string[];
  steadyRate: number;
  stages?: RateStage[];
}

type Env = Readonly<Record<string, string | undefined>>;

export function readRequestEnv(env: Env, path: string, readFile: (p: string) => string): RequestEnv {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const out: RequestEnv = {
    secretHeaders: (get(REQUEST_ENV.secretHeaders) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    // The same rule as the CLI: LEAKBENCH_RATE when given, else the steady default (or 0 before stages).
    steadyRate:
      get(REQUEST_ENV.rate) !== undefined
        ? Number(get(REQUEST_ENV.rate))
        : get(REQUEST_ENV.stages) !== undefined
          ? 0
          : DEFAULTS.steadyRate,
  };
  const stagesRaw = get(REQUEST_ENV.stages);
  if (stagesRaw !== undefined) {
    const stages = parseStages(stagesRaw, (t) => durationMs(REQUEST_ENV.stages, t.trim(), 100, 7 * 24 * 3600_000));
    if (typeof stages === 'string') throw new EnvError(`${REQUEST_ENV.stages}: ${stages}`);
    out.stages = stages;
  }
  const headers = readHeaders(get(REQUEST_ENV.headers));
  const file = get(REQUEST_ENV.requestsFile);
  let mix: RequestMix | undefined;
  if (file !== undefined) {
    for (const name of [REQUEST_ENV.method, REQUEST_ENV.body, REQUEST_ENV.expectStatus]) {
      if (get(name) !== undefined)
        throw new EnvError(`${name}: not with ${REQUEST_ENV.requestsFile} (write it in the file, next to its request)`);
    }
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      throw new EnvError(
        `${REQUEST_ENV.requestsFile}: cannot read ${file} (${String((err as Error).message ?? err).split('\n')[0]})`,
      );
    }
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    try {
      mix = parseRequestsFile(text, file, (rel) => readFile(rel.startsWith('/') ? rel : dir + rel));
    } catch (err) {
      if (err instanceof RequestsFileError) throw new EnvError(`${REQUEST_ENV.requestsFile}: ${err.message}`);
      throw err;
    }
    for (const r of mix.requests) r.headers.push(...headers);
  } else if (
    [REQUEST_ENV.method, REQUEST_ENV.body, REQUEST_ENV.expectStatus].some((n) => get(n) !== undefined) ||
    headers.length > 0
  ) {
    const method = (get(REQUEST_ENV.method) ?? 'GET').trim().toUpperCase();
    if (!(METHODS as readonly string[]).includes(method))
      throw new EnvError(
        `${REQUEST_ENV.method}: expected one of ${METHODS.join(', ')}, got ${JSON.stringify(get(REQUEST_ENV.method))}`,
      );
    const r: RequestDef = { name: `${method} ${path}`, method, path, headers, weight: 1 };
    const body = get(REQUEST_ENV.body);
    if (body !== undefined) {
      if (body.startsWith('@')) {
        try {
          r.body = readFile(body.slice(1));
        } catch (err) {
          throw new EnvError(
            `${REQUEST_ENV.body}: cannot read ${body.slice(1)} (${String((err as Error).message ?? err).split('\n')[0]})`,
          );
        }
      } else r.body = body;
    }
    const expect = get(REQUEST_ENV.expectStatus);
    if (expect !== undefined) {
      r.expectStatus = parseStatuses(expect, (d) => {
        throw new EnvError(`${REQUEST_ENV.expectStatus}: ${d.replace(/^expect: /, '')}`);
      });
    }
    mix = { order: 'weighted', requests: [r] };
  }
  if (mix) {
    const missing = envNames(mix).filter((n) => env[n] === undefined);
    if (missing.length > 0)
      throw new EnvError(
        `${missing[0]}: not set, and a header value reads {env:${missing[0]}} (give it with -e ${missing[0]}=... or in k6's environment)`,
      );
    out.mix = mix;
  }
  return out;
}

function readHeaders(raw: string | undefined): [string, string][] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EnvError(
      `${REQUEST_ENV.headers}: expected JSON, an object {"Name": "value"} or an array ["Name: value"]`,
    );
  }
  const pairs: [string, string][] = [];
  if (Array.isArray(parsed)) {
    for (const h of parsed) {
      const m = typeof h === 'string' ? /^([^:]+):\s*(.*)$/.exec(h) : null;
      if (!m) throw new EnvError(`${REQUEST_ENV.headers}: expected "Name: value" strings, got ${JSON.stringify(h)}`);
      pairs.push([m[1]!.trim(), m[2]!]);
    }
  } else if (typeof parsed === 'object' && parsed !== null) {
    for (const [n, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new EnvError(`${REQUEST_ENV.headers}: the value of ${n} must be a string`);
      pairs.push([n, v]);
    }
  } else {
    throw new EnvError(`${REQUEST_ENV.headers}: expected an object {"Name": "value"} or an array ["Name: value"]`);
  }
  for (const [n, v] of pairs) {
    const problem = headerProblem(n, v);
    if (problem) throw new EnvError(`${REQUEST_ENV.headers}: ${problem}`);
  }
  return pairs;
}
