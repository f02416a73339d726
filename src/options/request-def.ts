/**
 * What a phase sends: one request or a mix of them (weighted, or in a fixed sequence), as the
 * options give it to the load stage and the k6 scripts. Pure
 * data and functions with no Node imports: the k6 scripts use the same definitions, the same
 * order and the same secret handling as the built-in engines.
 *
 * Header values may name environment variables as `{env:NAME}` (no dollar sign, so a shell
 * leaves it alone even inside double quotes); they are resolved only when
 * the request is about to be built, so the value itself is never part of a definition, and
 * definitions are what run.json, the report and the console show.
 */

// The types live in phases.ts, which the installed package's scenario types are made from alone.
import type { RequestDef, RequestMix } from '../load/phases.ts';
export type { RequestDef, RequestMix } from '../load/phases.ts';

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Header names whose values are always treated as secrets (compared lower-case). */
export const DEFAULT_SECRET_HEADERS: readonly string[] = [
  'authorization',
  'cookie',
  'proxy-authorization',
  'set-cookie',
  'x-api-key',
];

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

const ENV_REF = /\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The header names a client may not set itself: the engines write them. */
export const RESERVED_HEADERS: readonly string[] = ['host', 'content-length'];

/** A valid HTTP token (RFC 9110 tchar), for methods and header names. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function simpleMix(path: string): RequestMix {
  return { order: 'weighted', requests: [{ name: `GET ${path}`, method: 'GET', path, headers: [], weight: 1 }] };
}

/** Names of the environment variables a definition reads (`{env:NAME}` in header values). */
export function envNames(mix: RequestMix): string[] {
  const names = new Set<string>();
  for (const r of mix.requests) for (const [, v] of r.headers) for (const m of v.matchAll(ENV_REF)) names.add(m[1]!);
  return [...names];
}

export class MissingEnvError extends Error {
  constructor(
    readonly variable: string,
    readonly header: string,
  ) {
    super(`header ${header}: environment variable ${variable} is not set (the value is written {env:${variable}})`);
    this.name = 'MissingEnvError';
  }
}

/** Replaces every `{env:NAME}` in a header value; a variable that is not set is an error. */
export function resolveValue(header: string, value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(ENV_REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw new MissingEnvError(name, header);
    return v;
  });
}

/** The definition with env references replaced by their values: only ever held in memory. */
export function resolveRequest(r: RequestDef, env: Readonly<Record<string, string | undefined>>): RequestDef {
  return { ...r, headers: r.headers.map(([n, v]) => [n, resolveValue(n, v, env)] as [string, string]) };
}

export function isSecretHeader(name: string, extra: readonly string[] = []): boolean {
  const n = name.toLowerCase();
  return DEFAULT_SECRET_HEADERS.includes(n) || extra.some((e) => e.toLowerCase() === n);
}

/**
 * A value safe to write down: a secret header's value becomes [redacted], except the
 * `{env:NAME}` references in it, which say where the value came from without giving it.
 */
export function redactValue(name: string, value: string, extraSecret: readonly string[] = []): string {
  if (!isSecretHeader(name, extraSecret)) return value;
  const refs = [...value.matchAll(ENV_REF)].map((m) => m[0]);
  return refs.length > 0 && value.replace(ENV_REF, '').trim() === ''
    ? refs.join('')
    : refs.length > 0
      ? `${REDACTED} ${refs.join(' ')}`
      : REDACTED;
}

export function redactMix(mix: RequestMix, extraSecret: readonly string[] = []): RequestMix {
  return {
    order: mix.order,
    requests: mix.requests.map((r) => ({
      ...r,
      headers: r.headers.map(([n, v]) => [n, redactValue(n, v, extraSecret)] as [string, string]),
    })),
  };
}

/** True when `status` is what the request expects (its list, else any 2xx). */
export function statusExpected(r: Pick<RequestDef, 'expectStatus'>, status: number): boolean {
  return r.expectStatus ? r.expectStatus.includes(status) : status >= 200 && status <= 299;
}

/**
 * The order requests go out in: a function returning the index of the next one. Weighted
 * mixes use smooth weighted round-robin (as nginx balances upstreams): over every run of
 * sum(weights) picks each request is chosen exactly `weight` times, spread out rather than in
 * blocks, so proportions are exact whatever the count and the order is the same on every run.
 */
export function makePicker(mix: RequestMix): () => number {
  const n = mix.requests.length;
  if (n === 1) return () => 0;
  if (mix.order === 'sequence') {
    let i = -1;
    return () => (i = (i + 1) % n);
  }
  const weights = mix.requests.map((r) => r.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = new Array<number>(n).fill(0);
  return () => {
    let best = 0;
    for (let i = 0; i < n; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    return best;
  };
}

/** One full cycle of the order (sum of weights, or the sequence once): autocannon's `requests` array. */
export function cycle(mix: RequestMix): number[] {
  const pick = makePicker(mix);
  const len = mix.order === 'sequence' ? mix.requests.length : mix.requests.reduce((a, r) => a + r.weight, 0);
  return Array.from({ length: len }, () => pick());
}

/** "GET /a", or "3 requests: POST /api/orders x3, GET /health_check x1 (weighted)" for the console. */
export function describeMix(mix: RequestMix): string {
  if (mix.requests.length === 1) {
    const r = mix.requests[0]!;
    return `${r.method} ${r.path}${r.body !== undefined ? ` (${utf8Length(r.body)}-byte body)` : ''}`;
  }
  const parts = mix.requests.map((r) => `${r.method} ${r.path}${mix.order === 'weighted' ? ` x${r.weight}` : ''}`);
  return `${mix.requests.length} requests ${mix.order === 'weighted' ? 'by weight' : 'in sequence'}: ${parts.join(', ')}`;
}

/** UTF-8 byte length without TextEncoder or Buffer (neither is in k6's ES2020 runtime types). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * What is wrong with a mix written by hand (a scenario file, or JSON in the k6 env), in words;
 * undefined when the engines can send it.
 */
export function mixProblem(mix: unknown): string | undefined {
  if (typeof mix !== 'object' || mix === null) return 'mix: expected { order, requests: [...] }';
  const m = mix as Partial<RequestMix>;
  if (m.order !== 'weighted' && m.order !== 'sequence') return 'mix.order: expected "weighted" or "sequence"';
  if (!Array.isArray(m.requests) || m.requests.length === 0) return 'mix.requests: expected at least one request';
  for (const [i, r] of m.requests.entries()) {
    const at = `mix.requests[${i}]`;
    if (typeof r !== 'object' || r === null) return `${at}: expected { name, method, path, headers, weight }`;
    if (typeof r.name !== 'string' || r.name === '') return `${at}.name: expected a name`;
    if (!(METHODS as readonly string[]).includes(r.method))
      return `${at}.method: expected one of ${METHODS.join(', ')}`;
    if (typeof r.path !== 'string' || !r.path.startsWith('/') || /\s/.test(r.path))
      return `${at}.path: expected a path starting with /, without spaces`;
    if (!Array.isArray(r.headers)) return `${at}.headers: expected [[name, value], ...]`;
    for (const h of r.headers) {
      if (
        !Array.isArray(h) ||
        typeof h[0] !== 'string' ||
        typeof h[1] !== 'string' ||
        !TOKEN.test(h[0]) ||
        /[\r\n\0]/.test(h[1])
      )
        return `${at}.headers: each is [name, value], a token name and a one-line value`;
      if (RESERVED_HEADERS.includes(h[0].toLowerCase())) return `${at}.headers: ${h[0]} is written by the engines`;
    }
    if (r.body !== undefined && typeof r.body !== 'string') return `${at}.body: expected a string`;
    if (!Number.isInteger(r.weight) || r.weight < 1) return `${at}.weight: expected a whole number of at least 1`;
    if (
      r.expectStatus !== undefined &&
      (!Array.isArray(r.expectStatus) || r.expectStatus.some((s) => !Number.isInteger(s) || s < 100 || s > 599))
    )
      return `${at}.expectStatus: expected statuses from 100 to 599`;
  }
  return undefined;
}

/** A mix for scenario files: `request('POST', '/api/orders', { headers: {...}, body })`. */
export function request(
  method: string,
  path: string,
  opts: {
    name?: string;
    headers?: Record<string, string> | [string, string][];
    body?: string;
    weight?: number;
    expectStatus?: number[];
  } = {},
): RequestDef {
  const headers = Array.isArray(opts.headers) ? opts.headers : Object.entries(opts.headers ?? {});
  return {
    name: opts.name ?? `${method} ${path}`,
    method,
    path,
    headers,
    weight: opts.weight ?? 1,
    ...(opts.body !== undefined && { body: opts.body }),
    ...(opts.expectStatus && { expectStatus: opts.expectStatus }),
  };
}
