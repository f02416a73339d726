/**
 * The requests file (`--requests-file requests.txt`, or LEAKBENCH_REQUESTS_FILE for k6): several
 * requests, sent by weight or in a fixed sequence. Pure (no Node, no k6): the CLI reads the file
 * with fs, the k6 scripts with k6's open(), and both parse it here, so a file means the same
 * traffic to both. The format, line by line:
 *
 *   # a comment (a line whose first non-blank character is #)
 *   order weighted            optional, before the first request: weighted (default) or sequence
 *
 *   POST /api/orders          a request starts with METHOD /path
 *   name create-order         optional: the name used in counts (default "POST /api/orders")
 *   weight 3                  optional: its share in a weighted order (default 1)
 *   Content-Type: application/json      headers, "Name: value", in order, repeatable
 *   Authorization: Bearer {env:API_TOKEN}   a value from the environment, never written down
 *   expect 201 202            optional: the statuses that count as expected (default any 2xx)
 *   body {"sku": "A1", "qty": 1}        the body: the rest of the line, as written
 *   body @order.json          or a file's content (UTF-8), relative to the requests file
 *
 *   GET /health_check         a blank line or the next request line ends a request
 *
 * Every mistake names the file and the line.
 */
import { METHODS, RESERVED_HEADERS, TOKEN, type RequestDef, type RequestMix } from './request-def.ts';

export class RequestsFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'RequestsFileError';
  }
}

/** Reads a body file named by `body @path`, relative to the requests file; throws if it cannot. */
export type ReadBody = (relativePath: string) => string;

const MAX_WEIGHT = 10_000;

export function parseRequestsFile(text: string, file: string, readBody: ReadBody): RequestMix {
  let order: RequestMix['order'] = 'weighted';
  const requests: RequestDef[] = [];
  let current: RequestDef | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!;
    const line = raw.trim();
    const fail = (detail: string): never => {
      throw new RequestsFileError(file, n, detail);
    };
    if (line.startsWith('#')) continue;
    if (line === '') {
      current = undefined;
      continue;
    }
    const started = requestLine(line, fail);
    if (started) {
      current = started;
      requests.push(current);
      continue;
    }
    const directive = /^(order|name|weight|expect|body)(?:\s+(.*))?$/.exec(line);
    // "body" takes the rest of the line, colons and all; the others never contain one, so
    // "name: x" stays a header called name.
    if (directive && (directive[1] === 'body' || !line.includes(':'))) {
      const [, key, rest = ''] = directive;
      if (key === 'order') {
        if (requests.length > 0) fail('"order" goes before the first request');
        if (rest !== 'weighted' && rest !== 'sequence')
          fail(`order: expected weighted or sequence, got ${JSON.stringify(rest)}`);
        order = rest as RequestMix['order'];
        continue;
      }
      if (!current) fail(`"${key}" must follow a request line (METHOD /path)`);
      applyDirective(current!, key!, rest, raw, { fail, readBody });
      continue;
    }
    const header = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (header) {
      if (!current) fail('a header must follow a request line (METHOD /path)');
      const problem = headerProblem(header[1]!, header[2]!);
      if (problem) fail(problem);
      current!.headers.push([header[1]!, header[2]!]);
      continue;
    }
    fail(
      `expected a request line (METHOD /path, METHOD one of ${METHODS.join(', ')}), a header (Name: value), or one of order, name, weight, expect, body; got ${JSON.stringify(line)}`,
    );
  }
  if (requests.length === 0)
    throw new RequestsFileError(
      file,
      lines.length,
      'no request in the file (a request starts with a line like POST /api/orders)',
    );
  return { order, requests };
}

/** A new request from a line `METHOD /path` (the method in capitals); undefined for any other line. */
function requestLine(line: string, fail: (detail: string) => never): RequestDef | undefined {
  const request = /^([A-Za-z]+)\s+(\S+)$/.exec(line);
  if (
    !request ||
    !(METHODS as readonly string[]).includes(request[1]!.toUpperCase()) ||
    request[1] !== request[1]!.toUpperCase()
  )
    return undefined;
  const path = request[2]!;
  if (!path.startsWith('/')) fail(`expected a path starting with /, like /api/orders, got ${JSON.stringify(path)}`);
  return { name: `${request[1]} ${path}`, method: request[1]!, path, headers: [], weight: 1 };
}

/** name, weight, expect or body, applied to the request it follows. */
function applyDirective(
  r: RequestDef,
  key: string,
  rest: string,
  raw: string,
  io: { fail: (detail: string) => never; readBody: ReadBody },
): void {
  const { fail } = io;
  if (key === 'name') {
    if (!/^[\w./:-]{1,80}$/.test(rest) && !/^[A-Z]+ \/\S*$/.test(rest))
      fail(`name: expected 1-80 letters, digits, dots, dashes, slashes or underscores, got ${JSON.stringify(rest)}`);
    r.name = rest;
  } else if (key === 'weight') {
    const w = Number(rest);
    if (!/^\d+$/.test(rest) || !Number.isInteger(w) || w < 1 || w > MAX_WEIGHT)
      fail(`weight: expected a whole number from 1 to ${MAX_WEIGHT}, got ${JSON.stringify(rest)}`);
    r.weight = w;
  } else if (key === 'expect') {
    r.expectStatus = parseStatuses(rest, fail);
  } else {
    if (r.body !== undefined) fail('this request already has a body');
    r.body = bodyOf(raw, io);
  }
}

/**
 * The body of a `body` line: the rest of the raw line after "body ", spaces inside kept as
 * written, or with `body @path` a file's content.
 */
function bodyOf(raw: string, io: { fail: (detail: string) => never; readBody: ReadBody }): string {
  const inline = raw.replace(/^\s*body\s?/, '');
  if (!inline.startsWith('@')) return inline;
  const rel = inline.slice(1).trim();
  if (rel === '') io.fail('body @: expected a file name after @');
  try {
    return io.readBody(rel);
  } catch (err) {
    return io.fail(`body @${rel}: cannot read it (${(err as Error).message.split('\n')[0]})`);
  }
}

/** A header the engines cannot send as given, in words; undefined when it is fine. */
export function headerProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name))
    return `header name ${JSON.stringify(name)}: expected letters, digits and -!#$%&'*+.^_\`|~ only`;
  if (RESERVED_HEADERS.includes(name.toLowerCase()))
    return `header ${name}: the engines write it themselves (Host from the URL, Content-Length from the body)`;
  if (/[\r\n\0]/.test(value)) return `header ${name}: the value may not contain line breaks`;
  return undefined;
}

export function parseStatuses(raw: string, fail: (detail: string) => never): number[] {
  const parts = raw.split(/[\s,]+/).filter((x) => x !== '');
  if (parts.length === 0) fail('expect: expected one or more HTTP statuses like 200 201');
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d{3}$/.test(p) || n < 100 || n > 599)
      fail(`expect: expected HTTP statuses from 100 to 599, got ${JSON.stringify(p)}`);
    return n;
  });
}
