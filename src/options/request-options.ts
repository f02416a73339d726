import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { envNames, METHODS, TOKEN, type RequestDef, type RequestMix } from './request-def.ts';
import { headerProblem, parseRequestsFile, parseStatuses, RequestsFileError } from './requests-file.ts';

/**
 * What each request is: curl-like flags for one request, or a requests file for several.
 *
 *   -X, --method POST              (default GET)
 *   -H, --header "Name: value"     repeatable; with --requests-file, added to every request
 *   --body TEXT | --body @file     the body (UTF-8); Content-Length is set from it
 *   --expect-status 200,201        statuses that count as expected (default any 2xx)
 *   --requests-file FILE           several requests by weight or in sequence (see requests-file.ts)
 *   --secret-header NAME           repeatable: treat this header's value as a secret, like Authorization
 *
 * Header values may take environment variables, `-H 'Authorization: Bearer {env:API_TOKEN}'`,
 * so the secret is not on the command line; a variable that is not set is a usage error here,
 * before anything starts.
 */
export const REQUEST_FLAGS = {
  method: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string' },
  'expect-status': { type: 'string' },
  'requests-file': { type: 'string' },
  'secret-header': { type: 'string', multiple: true },
} as const;

export interface RequestFlagValues {
  method?: string | undefined;
  header?: string[] | undefined;
  body?: string | undefined;
  'expect-status'?: string | undefined;
  'requests-file'?: string | undefined;
  'secret-header'?: string[] | undefined;
  engine?: string | undefined;
}

export interface RequestOptions {
  /** Absent when no request flag was given: phases send `GET path` as before. */
  mix?: RequestMix;
  /** Header names, besides Authorization, Cookie and Proxy-Authorization, whose values are secret. */
  secretHeaders?: string[];
}

export const REQUEST_HELP = `Requests (default: GET --path):
  -X, --method POST        method (${METHODS.join(', ')})
  -H, --header "Name: value"   a header, repeatable; a value may read the environment:
                           -H 'Authorization: Bearer {env:API_TOKEN}' (the token stays off the command line)
  --body TEXT | @file      request body (UTF-8, sent with Content-Length)
  --expect-status 201,202  statuses that count as expected (default any 2xx)
  --requests-file FILE     several requests, by weight or in sequence (format: docs/requests.md)
  --secret-header NAME     also keep this header's value out of every file and the console
                           (Authorization, Cookie, Proxy-Authorization, X-Api-Key always are)`;

export function parseRequestFlags(
  v: RequestFlagValues,
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RequestOptions {
  const out: RequestOptions = {};
  const secret = v['secret-header'] ?? [];
  for (const name of secret)
    if (!TOKEN.test(name))
      throw new UsageError(`--secret-header: expected a header name like X-Api-Key, got ${JSON.stringify(name)}`);
  if (secret.length > 0) out.secretHeaders = secret;

  const headers = (v.header ?? []).map((h) => parseHeaderFlag(h));
  let mix: RequestMix | undefined;
  if (v['requests-file'] !== undefined) {
    for (const flag of ['method', 'body', 'expect-status'] as const) {
      if (v[flag] !== undefined)
        throw new UsageError(`--${flag}: not with --requests-file (write it in the file, next to its request)`);
    }
    mix = readRequestsFile(v['requests-file']);
    for (const r of mix.requests) r.headers.push(...headers);
  } else if (v.method !== undefined || headers.length > 0 || v.body !== undefined || v['expect-status'] !== undefined) {
    const method = v.method === undefined ? 'GET' : v.method.toUpperCase();
    if (!(METHODS as readonly string[]).includes(method))
      throw new UsageError(`--method: expected one of ${METHODS.join(', ')}, got ${JSON.stringify(v.method)}`);
    const r: RequestDef = { name: `${method} ${path}`, method, path, headers, weight: 1 };
    if (v.body !== undefined) r.body = v.body.startsWith('@') ? readBodyFile('body', v.body.slice(1)) : v.body;
    if (v['expect-status'] !== undefined) {
      r.expectStatus = parseStatuses(v['expect-status'], (detail) => {
        throw new UsageError(`--expect-status: ${detail.replace(/^expect: /, '')}`);
      });
    }
    mix = { order: 'weighted', requests: [r] };
  }
  if (mix) {
    // autocannon's parser reads a body by Content-Length, which a HEAD answer announces but never sends.
    if (v.engine === 'autocannon' && mix.requests.some((r) => r.method === 'HEAD'))
      throw new UsageError(
        '--method: HEAD is not sent by --engine autocannon (its parser would wait for a body that never comes); use the default engine (net)',
      );
    const missing = envNames(mix).filter((n) => env[n] === undefined);
    if (missing.length > 0) {
      const from = v['requests-file'] !== undefined ? `--requests-file ${v['requests-file']}` : '--header';
      throw new UsageError(
        `${from}: environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not set (a header value reads {env:${missing[0]}})`,
      );
    }
    out.mix = mix;
  }
  return out;
}

function parseHeaderFlag(raw: string): [string, string] {
  const m = /^([^:]*):\s*(.*)$/.exec(raw);
  if (!m || m[1]!.trim() === '')
    throw new UsageError(
      `--header: expected "Name: value", like -H "Content-Type: application/json", got ${JSON.stringify(raw)}`,
    );
  const name = m[1]!.trim();
  const problem = headerProblem(name, m[2]!);
  if (problem) throw new UsageError(`--header: ${problem}`);
  return [name, m[2]!];
}

function readBodyFile(flag: string, file: string): string {
  if (file === '') throw new UsageError(`--${flag}: expected a file name after @`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

export function readRequestsFile(file: string): RequestMix {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--requests-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    return parseRequestsFile(text, file, (rel) => readFileSync(resolve(dirname(file), rel), 'utf8'));
  } catch (err) {
    if (err instanceof RequestsFileError) throw new UsageError(`--requests-file: ${err.message}`);
    throw err;
  }
}
