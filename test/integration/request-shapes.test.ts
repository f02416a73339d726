/**
 * Requests shaped like the user's service: a real HTTP server records what it receives, and
 * each engine (net, autocannon, the idle prober) must send exactly the methods, header lines,
 * bodies and proportions asked for, with exact counts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runBurst } from '../../src/load/burst.ts';
import { runBurstAutocannon } from '../../src/load/burst-autocannon.ts';
import { startClock } from '../../src/load/clock.ts';
import { runIdle } from '../../src/load/idle.ts';
import { buildRequestBytes } from '../../src/load/request-bytes.ts';
import { request, type RequestMix } from '../../src/options/request-def.ts';
import { parseRunArgs } from '../../src/options/run-options.ts';
import { countBy, header, recordingServer, type Received, type RecordingServer } from '../helpers/recording-server.ts';

const TOKEN = 'tok-5f1d-planted';
const ORDER = readFileSync(new URL('../fixtures/requests/order.json', import.meta.url), 'utf8');
let srv: RecordingServer;

before(async () => {
  process.env.LEAKBENCH_TEST_TOKEN = TOKEN;
  srv = await recordingServer({
    status: (r) =>
      r.method === 'POST' ? 201 : r.url === '/cart/1' && r.method === 'GET' ? 404 : r.method === 'DELETE' ? 204 : 200,
  });
});
after(async () => {
  await srv.close();
});

function mixFromCli(args: string[]): RequestMix {
  const parsed = parseRunArgs(['burst', '--url', srv.url.href, '--pid', String(process.pid), ...args]);
  assert.equal(parsed.help, false);
  const mix = (parsed as { options: { mix?: RequestMix } }).options.mix;
  assert.ok(mix, 'the flags made a request definition');
  return mix;
}

const sinks = () => {
  const warnings: string[] = [];
  return {
    warnings,
    clock: startClock(),
    signal: new AbortController().signal,
    onSecond: () => {},
    onWarning: (w: string) => warnings.push(w),
    onProbe: () => {},
  };
};

function checkOrders(got: Received[], total: number, label: string): void {
  assert.equal(got.length, total, `${label}: the server saw exactly ${total} requests`);
  const byKind = countBy(got, (r) => `${r.method} ${r.url}`);
  assert.deepEqual(
    byKind,
    { 'POST /api/orders': (total * 3) / 4, 'GET /health_check': total / 4 },
    `${label}: 3 orders per health check`,
  );
  for (const r of got.filter((x) => x.method === 'POST')) {
    assert.equal(r.body, ORDER, `${label}: the body byte for byte`);
    assert.equal(
      header(r, 'content-length'),
      String(Buffer.byteLength(ORDER)),
      `${label}: Content-Length of the UTF-8 body`,
    );
    assert.equal(header(r, 'content-type'), 'application/json');
    assert.equal(header(r, 'authorization'), `Bearer ${TOKEN}`, `${label}: the token from the environment`);
  }
  for (const r of got.filter((x) => x.method === 'GET')) {
    assert.equal(r.body, '');
    assert.equal(header(r, 'authorization'), undefined, `${label}: the health check has no token`);
  }
}

test('requests file: weights, headers from the environment, a body from a file', () => {
  const mix = mixFromCli(['--requests-file', 'test/fixtures/requests/orders.txt']);
  assert.equal(mix.order, 'weighted');
  assert.deepEqual(
    mix.requests.map((r) => [r.name, r.method, r.path, r.weight, r.expectStatus]),
    [
      ['create-order', 'POST', '/api/orders', 3, [201]],
      ['health', 'GET', '/health_check', 1, undefined],
    ],
  );
  // The definition keeps the reference, not the token.
  assert.deepEqual(mix.requests[0]!.headers, [
    ['Content-Type', 'application/json'],
    ['Authorization', 'Bearer {env:LEAKBENCH_TEST_TOKEN}'],
  ]);
  assert.equal(mix.requests[0]!.body, ORDER);
});

test('net engine, on one thread and on two: exact methods, headers, bodies and 3:1 proportions over keep-alive, each answer tallied by request', async () => {
  for (const threads of [1, 2]) {
    srv.received.length = 0;
    const mix = mixFromCli(['--requests-file', 'test/fixtures/requests/orders.txt']);
    const s = sinks();
    const summary = await runBurst(
      { name: 'b', url: new URL('/health_check', srv.url), requests: 400, connections: 4, timeoutMs: 5000, mix },
      s,
      { threads },
    );
    checkOrders(srv.received, 400, `net, ${threads} thread(s)`);
    assert.equal(summary.completed, 400);
    assert.deepEqual(summary.responsesByRequest, { 'create-order': 300, health: 100 });
    assert.equal(summary.unexpectedStatus, 0, 'POST answered 201 as expected, GET 200');
    // On two threads a thread may find every request claimed before it connects.
    if (threads === 1)
      assert.equal(new Set(srv.received.map((r) => r.socket)).size, 4, 'one kept-alive connection each');
    assert.deepEqual(s.warnings, []);
  }
});

test('net engine: HEAD in a mix reads no body, on one thread and on two', async () => {
  const mix: RequestMix = {
    order: 'sequence',
    requests: [request('HEAD', '/health_check'), request('GET', '/health_check')],
  };
  for (const threads of [1, 2]) {
    srv.received.length = 0;
    const s = sinks();
    const summary = await runBurst({ name: 'b', url: srv.url, requests: 40, connections: 2, timeoutMs: 2000, mix }, s, {
      threads,
    });
    assert.equal(summary.completed, 40, `threads ${threads}: ${JSON.stringify(s.warnings)}`);
    assert.equal(summary.errors, 0);
    assert.deepEqual(
      countBy(srv.received, (r) => r.method),
      { HEAD: 20, GET: 20 },
    );
    assert.deepEqual(summary.responsesByRequest, { 'HEAD /health_check': 20, 'GET /health_check': 20 });
    assert.ok(
      new Set(srv.received.map((r) => r.socket)).size <= 2,
      `threads ${threads}: the connections stay alive across HEAD answers; a second thread may find every request claimed (${new Set(srv.received.map((r) => r.socket)).size} sockets)`,
    );
  }
});

test('autocannon engine: the same requests, the same proportions', async () => {
  srv.received.length = 0;
  const mix = mixFromCli(['--requests-file', 'test/fixtures/requests/orders.txt']);
  const s = sinks();
  const summary = await runBurstAutocannon(
    { name: 'b', url: new URL('/health_check', srv.url), requests: 400, connections: 4, timeoutMs: 5000, mix },
    s,
  );
  checkOrders(srv.received, 400, 'autocannon');
  assert.equal(summary.completed, 400);
  assert.deepEqual(summary.responsesByRequest, { 'create-order': 300, health: 100 });
  assert.equal(summary.unexpectedStatus, 0);
});

test('idle prober: the definitions on a new connection per probe', async () => {
  srv.received.length = 0;
  const mix = mixFromCli(['--requests-file', 'test/fixtures/requests/orders.txt']);
  const summary = await runIdle(
    { name: 'i', url: new URL('/health_check', srv.url), rate: 40, durationMs: 1000, timeoutMs: 2000, mix },
    sinks(),
  );
  checkOrders(srv.received, 40, 'idle');
  assert.equal(summary.completed, 40);
  assert.equal(new Set(srv.received.map((r) => r.socket)).size, 40, 'Connection: close, as a kubelet probe');
  assert.ok(srv.received.every((r) => header(r, 'connection') === 'close'));
});

test('CLI flags: -X, repeated -H, --body inline, --expect-status; a sequence file in order', async () => {
  srv.received.length = 0;
  const mix = mixFromCli([
    '-X',
    'patch',
    '--path',
    '/api/orders/7',
    '-H',
    'Content-Type: application/json',
    '-H',
    'Cookie: a=1',
    '-H',
    'Cookie: b=2',
    '--body',
    '{"qty": 3}',
    '--expect-status',
    '200',
  ]);
  await runBurst({ name: 'b', url: srv.url, requests: 6, connections: 2, timeoutMs: 5000, mix }, sinks());
  assert.equal(srv.received.length, 6);
  for (const r of srv.received) {
    assert.equal(r.method, 'PATCH');
    assert.equal(r.url, '/api/orders/7');
    assert.equal(r.body, '{"qty": 3}');
    assert.deepEqual(
      r.rawHeaders.filter(([n]) => n === 'Cookie'),
      [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ],
      'repeated headers sent as given',
    );
  }

  srv.received.length = 0;
  const seq = mixFromCli(['--requests-file', 'test/fixtures/requests/sequence.txt']);
  const summary = await runBurst(
    { name: 'b', url: srv.url, requests: 9, connections: 1, timeoutMs: 5000, mix: seq },
    sinks(),
  );
  assert.deepEqual(
    srv.received.map((r) => r.method),
    ['PUT', 'DELETE', 'GET', 'PUT', 'DELETE', 'GET', 'PUT', 'DELETE', 'GET'],
  );
  assert.equal(srv.received[0]!.body, '{"items": [1, 2]}');
  assert.equal(summary.unexpectedStatus, 0, 'PUT 200, DELETE 204 and GET 404 were each expected');
  assert.equal(summary.non2xx, 3);
});

test('chunked upload: the net engine sends the body as chunks when asked', async () => {
  srv.received.length = 0;
  const mix: RequestMix = {
    order: 'weighted',
    requests: [request('POST', '/up', { headers: { 'Transfer-Encoding': 'chunked' }, body: 'hello chunks' })],
  };
  const bytes = buildRequestBytes(mix.requests[0]!, 'h:1').toString('latin1');
  assert.equal(
    bytes,
    'POST /up HTTP/1.1\r\nHost: h:1\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nhello chunks\r\n0\r\n\r\n',
  );
  const summary = await runBurst(
    { name: 'b', url: srv.url, requests: 5, connections: 1, timeoutMs: 5000, mix },
    sinks(),
  );
  assert.equal(summary.completed, 5);
  assert.deepEqual(
    srv.received.map((r) => r.body),
    Array(5).fill('hello chunks'),
  );
});

test('bad request flags and files: exit 2 naming the flag, or the file and line', () => {
  const bad = (args: string[], re: RegExp) =>
    assert.throws(
      () => parseRunArgs(['burst', ...args]),
      (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 2,
      re.source,
    );
  bad(
    ['--requests-file', 'test/fixtures/requests/bad-line.txt'],
    /^--requests-file: test\/fixtures\/requests\/bad-line\.txt:3: weight: expected a whole number from 1 to 10000, got "three"$/,
  );
  bad(
    ['--requests-file', 'test/fixtures/requests/missing.txt'],
    /^--requests-file: cannot read .*missing\.txt \(ENOENT\)$/,
  );
  bad(['-X', 'FETCH'], /^--method: expected one of GET, HEAD, POST/);
  bad(['-X', 'HEAD', '--engine', 'autocannon'], /^--method: HEAD is not sent by --engine autocannon/);
  assert.equal(
    (
      parseRunArgs(['burst', '--pid', String(process.pid), '--url', 'http://127.0.0.1:1/', '-X', 'HEAD']) as {
        options: { mix?: RequestMix };
      }
    ).options.mix?.requests[0]?.method,
    'HEAD',
    'HEAD with the default engine (net)',
  );
  bad(['-H', 'no colon'], /^--header: expected "Name: value"/);
  bad(['-H', 'Content-Length: 5'], /^--header: header Content-Length: the engines write it themselves/);
  bad(
    ['-H', 'Authorization: Bearer {env:LEAKBENCH_SURELY_UNSET}'],
    /^--header: environment variable LEAKBENCH_SURELY_UNSET not set/,
  );
  bad(['--expect-status', '2000'], /^--expect-status: expected HTTP statuses from 100 to 599, got "2000"$/);
  bad(['--body', '@test/fixtures/requests/nope.json'], /^--body: cannot read .*nope\.json \(ENOENT\)$/);
  bad(['--requests-file', 'test/fixtures/requests/orders.txt', '-X', 'POST'], /^--method: not with --requests-file/);
});
