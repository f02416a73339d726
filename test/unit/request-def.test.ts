import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cycle,
  makePicker,
  mixProblem,
  redactMix,
  redactValue,
  request,
  resolveRequest,
  type RequestMix,
} from '../../src/options/request-def.ts';
import { buildRequestBytes } from '../../src/load/request-bytes.ts';
import { parseRequestsFile } from '../../src/options/requests-file.ts';

const noFiles = (rel: string): string => {
  throw new Error(`no ${rel}`);
};

test('weighted order: exact shares in every cycle, interleaved; sequence: in order', () => {
  const mix: RequestMix = {
    order: 'weighted',
    requests: [request('GET', '/a', { weight: 3 }), request('GET', '/b'), request('GET', '/c', { weight: 2 })],
  };
  const pick = makePicker(mix);
  const picks = Array.from({ length: 600 }, () => pick());
  assert.deepEqual(
    [0, 1, 2].map((i) => picks.filter((p) => p === i).length),
    [300, 100, 200],
  );
  for (let c = 0; c < 600; c += 6)
    assert.deepEqual(
      [0, 1, 2].map((i) => picks.slice(c, c + 6).filter((p) => p === i).length),
      [3, 1, 2],
      'each cycle of 6 holds the shares',
    );
  assert.ok(!picks.join('').includes('000'), 'spread out, not in blocks');
  assert.deepEqual(cycle({ ...mix, order: 'sequence' }), [0, 1, 2]);
});

test('secrets: env references resolved only on request, literals of secret headers redacted', () => {
  const r = request('POST', '/x', {
    headers: [
      ['Authorization', 'Bearer {env:T}'],
      ['X-Trace', 'abc'],
      ['Cookie', 'a=1'],
      ['X-Mine', 'hush'],
    ],
  });
  assert.deepEqual(resolveRequest(r, { T: 'tok' }).headers[0], ['Authorization', 'Bearer tok']);
  assert.throws(() => resolveRequest(r, {}), /header Authorization: environment variable T is not set/);
  assert.equal(redactValue('Authorization', '{env:T}'), '{env:T}');
  assert.equal(redactValue('authorization', 'Bearer {env:T}'), '[redacted] {env:T}');
  assert.equal(redactValue('X-Api-Key', 'k-123'), '[redacted]');
  assert.deepEqual(redactMix({ order: 'weighted', requests: [r] }, ['x-mine']).requests[0]!.headers, [
    ['Authorization', '[redacted] {env:T}'],
    ['X-Trace', 'abc'],
    ['Cookie', '[redacted]'],
    ['X-Mine', '[redacted]'],
  ]);
});

test('request bytes: Content-Length of the UTF-8 body, an empty POST says 0, headers in order', () => {
  assert.equal(
    buildRequestBytes(
      request('POST', '/o', {
        headers: [
          ['A', '1'],
          ['B', '2'],
        ],
        body: 'é',
      }),
      'h',
    ).toString('latin1'),
    'POST /o HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nContent-Length: 2\r\n\r\n\xc3\xa9',
  );
  assert.equal(
    buildRequestBytes(request('POST', '/o'), 'h').toString('latin1'),
    'POST /o HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n',
  );
  assert.equal(
    buildRequestBytes(request('DELETE', '/o/1'), 'h').toString('latin1'),
    'DELETE /o/1 HTTP/1.1\r\nHost: h\r\n\r\n',
  );
});

test('requests file: every mistake names the line', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseRequestsFile(text, 'r.txt', noFiles), re);
  bad('Content-Type: x\nGET /', /^RequestsFileError: r\.txt:1: a header must follow a request line/);
  bad('GET /a\n\nbody x', /^RequestsFileError: r\.txt:3: "body" must follow a request line/);
  bad('GET a', /r\.txt:1: expected a path starting with \/, like \/api\/orders, got "a"/);
  bad('GET /a\n\nget /b', /r\.txt:3: expected a request line \(METHOD \/path, METHOD one of GET/);
  bad('GET /a\nbody x\nbody y', /r\.txt:3: this request already has a body/);
  bad('GET /a\norder sequence', /r\.txt:2: "order" goes before the first request/);
  bad('GET /a\nbody @x.json', /r\.txt:2: body @x\.json: cannot read it \(no x\.json\)/);
  bad('GET /a\nexpect 2xx', /r\.txt:2: expect: expected HTTP statuses from 100 to 599, got "2xx"/);
  bad('GET /a\nHost: h', /r\.txt:2: header Host: the engines write it themselves/);
  bad('# only a comment\n', /r\.txt:2: no request in the file/);
  const mix = parseRequestsFile(
    '# c\norder sequence\nPUT /a\nname: not-a-directive\nbody {"k": "v: w"}\n',
    'r.txt',
    noFiles,
  );
  assert.equal(mix.order, 'sequence');
  assert.deepEqual(mix.requests[0]!.headers, [['name', 'not-a-directive']]);
  assert.equal(mix.requests[0]!.body, '{"k": "v: w"}');
});

test('a mix written in a scenario file is checked', () => {
  assert.equal(mixProblem({ order: 'weighted', requests: [request('GET', '/a')] }), undefined);
  assert.match(mixProblem({ order: 'random', requests: [] })!, /mix\.order/);
  assert.match(mixProblem({ order: 'weighted', requests: [{ ...request('GET', '/a'), weight: 0 }] })!, /weight/);
  assert.match(
    mixProblem({ order: 'weighted', requests: [request('GET', '/a', { headers: { 'Content-Length': '3' } })] })!,
    /Content-Length is written by the engines/,
  );
});
