import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { readLoadToolOutput } from '../../src/analyse/load-tool-output.ts';
import { LeakbenchError } from '../../src/errors.ts';

test('autocannon --json: the run of a real autocannon, placed on the run clock with its whole result', async () => {
  const server = createServer((_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const startedAtMs = Date.now() - 5000;
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, amount: 200, connections: 2 });
  server.close();
  const out = readLoadToolOutput(JSON.stringify(result), { startedAtMs, file: 'ac.json' });
  assert.equal(out.tool, 'autocannon');
  const span = out.spans[0]!;
  assert.ok(span.startT > 4 && span.endT > span.startT && span.endT < 60, `${span.startT}-${span.endT}`);
  assert.equal(span.requests, 200);
  assert.equal(span.result?.completed, 200);
  assert.equal(span.result?.statusCodes['200'], 200);
  assert.ok(span.result?.latency && span.result.latency.p99 >= span.result.latency.p50);
});

// Real output of `hey -n 5 -c 1 -o csv` against a local server.
const HEY_CSV = `response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset
0.0053,0.0040,0.0000,0.0001,0.0008,0.0002,200,0.0001
0.0014,0.0006,0.0000,0.0000,0.0006,0.0001,200,0.0054
0.0008,0.0001,0.0000,0.0000,0.0007,0.0000,200,0.0068
0.0009,0.0001,0.0000,0.0000,0.0006,0.0001,404,0.0076
0.0009,0.0001,0.0000,0.0000,0.0007,0.0001,200,1.9985
`;

test('hey -o csv: offsets placed so the last answer ends when the file was written', () => {
  const out = readLoadToolOutput(HEY_CSV, { startedAtMs: 1_000_000, fileEndMs: 1_030_000, file: 'hey.csv' });
  assert.equal(out.tool, 'hey');
  assert.equal(out.spans[0]!.requests, 5);
  assert.equal(out.spans[0]!.endT, 30);
  assert.ok(Math.abs(out.spans[0]!.startT - (30 - 1.9994)) < 1e-9);
  assert.match(out.detail, /1 not 2xx/);
});

test('vegeta encode lines, and a file of no known tool is an error naming it', () => {
  const lines = [0, 1, 2]
    .map((i) =>
      JSON.stringify({
        seq: i,
        code: 200,
        timestamp: new Date(10_000 + i * 1000).toISOString(),
        latency: 5e6,
        error: '',
      }),
    )
    .join('\n');
  const out = readLoadToolOutput(lines, { startedAtMs: 0, file: 'v.json' });
  assert.deepEqual(out.spans, [{ startT: 10, endT: 12.005, requests: 3 }]);
  assert.throws(
    () => readLoadToolOutput('Summary:\n  Total: 1 secs', { startedAtMs: 0, file: 'out.txt' }),
    (e: unknown) => e instanceof LeakbenchError && /^out\.txt: not a load tool output/.test(e.message),
  );
});
