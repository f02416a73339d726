import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_POINTS, queryPrometheusRange } from '../../src/sample/prometheus-source.ts';
import { freePort } from '../../src/target/free-port.ts';

/** A stand-in for Prometheus's HTTP API: answers query_range from a table keyed by query. */
type Handler = (params: URLSearchParams) => { status: number; body: unknown };
const requests: URLSearchParams[] = [];
let handler: Handler = () => ({ status: 500, body: {} });
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const url = new URL(req.url ?? '/', 'http://x');
  assert.equal(url.pathname, '/prefix/api/v1/query_range');
  requests.push(url.searchParams);
  const { status, body } = handler(url.searchParams);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix/`;
after(() => server.close());

const T0 = 1_700_000_000_000;
const matrix = (series: { metric: Record<string, string>; values: [number, string][] }[]) => ({
  status: 200,
  body: { status: 'success', data: { resultType: 'matrix', result: series } },
});

test('figures from several queries merge into samples on the run clock; NaN is left out, never 0', async () => {
  handler = (p) => {
    const q = p.get('query');
    if (q === 'heap')
      return matrix([
        {
          metric: { job: 'gin' },
          values: [
            [T0 / 1000 + 1, '100'],
            [T0 / 1000 + 2, 'NaN'],
            [T0 / 1000 + 3, '300'],
          ],
        },
      ]);
    if (q === 'rss')
      return matrix([
        {
          metric: { job: 'gin' },
          values: [
            [T0 / 1000 + 2, '2e6'],
            [T0 / 1000 + 3, '3e6'],
          ],
        },
      ]);
    return matrix([]);
  };
  requests.length = 0;
  const r = await queryPrometheusRange({
    baseUrl: base,
    queries: { heapInuse: 'heap', processRss: 'rss' },
    startedAtMs: T0 - 500,
    startMs: T0,
    endMs: T0 + 3000,
    stepMs: 1000,
  });
  assert.deepEqual(r.samples, [
    { t: 1.5, heapInuse: 100 },
    { t: 2.5, processRss: 2e6 },
    { t: 3.5, heapInuse: 300, processRss: 3e6 },
  ]);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.stepMs, 1000);
  assert.deepEqual(
    requests.map((p) => [p.get('start'), p.get('end'), p.get('step')]),
    [
      [String(T0 / 1000), String(T0 / 1000 + 3), '1'],
      [String(T0 / 1000), String(T0 / 1000 + 3), '1'],
    ],
  );
});

test('several series or none for one figure: a warning naming it, the others still come', async () => {
  handler = (p) => {
    const q = p.get('query');
    if (q === 'many')
      return matrix([
        { metric: { pod: 'a' }, values: [[T0 / 1000, '1']] },
        { metric: { pod: 'b' }, values: [[T0 / 1000, '2']] },
      ]);
    if (q === 'bad')
      return {
        status: 400,
        body: { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' },
      };
    if (q === 'ok') return matrix([{ metric: {}, values: [[T0 / 1000, '7']] }]);
    return matrix([]);
  };
  const r = await queryPrometheusRange({
    baseUrl: base,
    queries: { goroutines: 'ok', heapInuse: 'many', goSys: 'none', stackInuse: 'bad' },
    startedAtMs: T0,
    startMs: T0,
    endMs: T0 + 1000,
    stepMs: 1000,
  });
  assert.deepEqual(r.samples, [{ t: 0, goroutines: 7 }]);
  assert.equal(r.warnings.length, 3);
  assert.match(
    r.warnings[0]!,
    /: Go heap in use query many returned 2 series \(\{"pod":"a"\}, \{"pod":"b"\}\); narrow it to one with --prometheus-selector/,
  );
  assert.match(r.warnings[1]!, /: Go sys query none returned no series over the run/);
  assert.match(
    r.warnings[2]!,
    /: Go stack in use query bad failed: HTTP 400: 1:5: parse error: unexpected end of input$/,
  );
});

test("a long range gets a coarser step instead of Prometheus's 11,000-point error", async () => {
  handler = () => matrix([]);
  requests.length = 0;
  const day = 24 * 3600_000;
  const r = await queryPrometheusRange({
    baseUrl: base,
    queries: { goroutines: 'g' },
    startedAtMs: T0,
    startMs: T0,
    endMs: T0 + day,
    stepMs: 1000,
  });
  assert.ok(r.stepMs > 1000 && day / r.stepMs + 1 <= MAX_POINTS, `step ${r.stepMs}`);
  assert.equal(Number(requests[0]!.get('step')), r.stepMs / 1000);
});

test('an unreachable server is one error; an answer that is not the API is a warning', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  await assert.rejects(
    queryPrometheusRange({
      baseUrl: dead,
      queries: { goroutines: 'g', heapInuse: 'h' },
      startedAtMs: T0,
      startMs: T0,
      endMs: T0 + 1000,
      stepMs: 1000,
    }),
    (e: Error) => /^prometheus http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/.test(e.message),
  );
  handler = () => ({ status: 200, body: '<html>login</html>' });
  const r = await queryPrometheusRange({
    baseUrl: base,
    queries: { goroutines: 'g' },
    startedAtMs: T0,
    startMs: T0,
    endMs: T0 + 1000,
    stepMs: 1000,
  });
  assert.deepEqual(r.samples, []);
  assert.match(r.warnings[0]!, /goroutines query g failed: the answer is not Prometheus API JSON/);
});
