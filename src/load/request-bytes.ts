import { makePicker, resolveRequest, simpleMix, type RequestDef, type RequestMix } from '../options/request-def.ts';

/**
 * A request definition as the bytes an HTTP/1.1 client writes: request line, Host, the
 * user's headers in their order, Content-Length for a body (or the body as one chunk when
 * the user asked for `Transfer-Encoding: chunked`), then the body.
 *
 * A GET without headers stays the minimal `Host`-only request: on a 2-core machine every
 * header the target parses costs it CPU (see docs/engines.md, Performance).
 */
/** The user asked for a chunked upload: the body goes as one chunk, with no Content-Length. */
function isChunked(headers: readonly [string, string][]): boolean {
  return headers.some(([n, v]) => n.toLowerCase() === 'transfer-encoding' && /\bchunked\b/i.test(v));
}

/**
 * Content-Length is sent for a body, or for a method whose body is expected (an empty POST
 * still says Content-Length: 0, as curl does; some servers answer 411 without it).
 */
function needsLength(r: RequestDef, body: Buffer | undefined, chunked: boolean): boolean {
  return !chunked && (body !== undefined || r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH');
}

export function buildRequestBytes(r: RequestDef, host: string, extraHeaders: readonly [string, string][] = []): Buffer {
  const body = r.body === undefined ? undefined : Buffer.from(r.body, 'utf8');
  const headers = [...r.headers, ...extraHeaders];
  const chunked = isChunked(headers);
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
  if (needsLength(r, body, chunked)) head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const parts = [Buffer.from(head, 'latin1')];
  if (chunked) {
    if (body && body.length > 0)
      parts.push(Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1'), body, Buffer.from('\r\n', 'latin1'));
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  } else if (body) {
    parts.push(body);
  }
  return Buffer.concat(parts);
}

/** What an engine sends: the definitions with their env values in, as bytes, and their order. */
export interface PreparedRequests {
  mix: RequestMix;
  /** Definitions with `${env:NAME}` resolved: kept in memory only. */
  resolved: RequestDef[];
  buffers: Buffer[];
  /** Index of the next request to send. */
  next: () => number;
}

export function prepareRequests(
  mix: RequestMix | undefined,
  url: URL,
  env: Readonly<Record<string, string | undefined>> = process.env,
  extraHeaders: readonly [string, string][] = [],
): PreparedRequests {
  const m = mix ?? simpleMix((url.pathname || '/') + url.search);
  const resolved = m.requests.map((r) => resolveRequest(r, env));
  return {
    mix: m,
    resolved,
    buffers: resolved.map((r) => buildRequestBytes(r, url.host, extraHeaders)),
    next: makePicker(m),
  };
}

/**
 * A definition's headers for node:http, repeated names kept as arrays (sent as separate
 * lines), with Content-Length from the body so node:http does not switch to chunked, unless
 * the user asked for chunked.
 */
export function nodeRequestHeaders(r: RequestDef, body: Buffer | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [n, v] of r.headers) {
    const have = headers[n];
    headers[n] = have === undefined ? v : [...(Array.isArray(have) ? have : [have]), v];
  }
  if (needsLength(r, body, isChunked(r.headers))) headers['Content-Length'] = String(body?.length ?? 0);
  return headers;
}
