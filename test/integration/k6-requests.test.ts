/**
 * The request definitions and the steady phase in the k6 bundles, run by the k6 harness
 * (test/k6-harness: Go on grafana/sobek, see k6-bundles.test.ts) against a server that records
 * what it receives: the same methods, headers, bodies and proportions as the built-in engines;
 * secrets read from the environment at init and never in the bundle or its summary.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildK6 } from '../../src/k6/build.ts';
import { countBy, header, recordingServer, type Received, type RecordingServer } from '../helpers/recording-server.ts';
import { envArgs, harnessOrSkip, runHarness, type HarnessResult } from '../helpers/k6-harness.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-k6-req-'));
const TOKEN = 'tok-k6-planted-4e2a91';
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/requests/${name}`, import.meta.url));
const ORDER = readFileSync(fixture('order.json'), 'utf8');
let srv: RecordingServer;
let base: string;

before(async () => {
  srv = await recordingServer({ status: (r) => (r.method === 'POST' ? 201 : 200) });
  base = srv.url.origin;
  await buildK6(out);
});
after(async () => {
  await srv.close();
});

const bundle = (name: string) => join(out, `${name}.js`);
type Scenarios = Record<string, Record<string, unknown>>;

function workDir(name: string): string {
  const d = join(out, `run-${name}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(d);
  return d;
}

function assertOk(r: HarnessResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
}

interface Point {
  metric: string;
  value: number;
  tags: Record<string, string>;
}

function points(file: string): Point[] {
  const outp: Point[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const rec = JSON.parse(line) as {
      type: string;
      metric: string;
      data: { value: number; tags: Record<string, string> | null };
    };
    if (rec.type === 'Point') outp.push({ metric: rec.metric, value: rec.data.value, tags: rec.data.tags ?? {} });
  }
  return outp;
}

/** Checks by name, passes and fails, from the --out json stream. */
function checks(ps: Point[]): Record<string, { passes: number; fails: number }> {
  const outp: Record<string, { passes: number; fails: number }> = {};
  for (const p of ps.filter((x) => x.metric === 'checks')) {
    const c = (outp[p.tags.check ?? ''] ??= { passes: 0, fails: 0 });
    if (p.value === 1) c.passes++;
    else c.fails++;
  }
  return outp;
}

/** What the load sent: setup()'s one request (the first to arrive, before any scenario) left out. */
function load(got: Received[]): Received[] {
  assert.equal(got[0]?.method, 'GET', "setup()'s request first");
  return got.slice(1);
}

interface BundleRun {
  r: HarnessResult;
  dir: string;
  /** What the load sent (setup()'s request left out). */
  got: Received[];
  ps: Point[];
  /** Iterations of the scenario that ran, and those dropped for want of a free VU. */
  iterations: number;
  dropped: number;
}

/** Runs a bundle in the harness against `server` (the shared recording server by default). */
async function runBundle(
  bin: string,
  name: string,
  env: Record<string, string>,
  server: RecordingServer = srv,
): Promise<BundleRun> {
  server.received.length = 0;
  const dir = workDir(name);
  const r = await runHarness(bin, ['run', ...envArgs(env), '--out', 'json=k6.json', bundle(name)], dir);
  assertOk(r, `run ${name} ${JSON.stringify(env)}`);
  const ps = points(join(dir, 'k6.json'));
  return {
    r,
    dir,
    got: load(server.received),
    ps,
    iterations: ps.filter((p) => p.metric === 'iterations' && p.tags.scenario === name).length,
    dropped: ps.filter((p) => p.metric === 'dropped_iterations').reduce((a, p) => a + p.value, 0),
  };
}

async function inspect(bin: string, name: string, env: Record<string, string>) {
  const r = await runHarness(bin, ['inspect', ...envArgs(env), bundle(name)], out);
  assertOk(r, `inspect ${name}`);
  return JSON.parse(r.stdout) as { scenarios: Scenarios; noConnectionReuse: boolean };
}

test('steady bundle: constant-arrival-rate over kept-alive VUs, the requests file by weight, the token from the environment', async (t: TestContext) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const env = {
    LEAKBENCH_URL: base,
    LEAKBENCH_RATE: '20',
    LEAKBENCH_DURATION: '2s',
    LEAKBENCH_CONNECTIONS: '8',
    LEAKBENCH_REQUESTS_FILE: fixture('orders.txt'),
    LEAKBENCH_TEST_TOKEN: TOKEN,
    LEAKBENCH_SUMMARY: 'summary.json',
  };
  const opts = await inspect(bin, 'steady', env);
  assert.deepEqual(opts.scenarios.steady, {
    executor: 'constant-arrival-rate',
    rate: 20,
    timeUnit: '1s',
    duration: '2s',
    preAllocatedVUs: 2,
    maxVUs: 8,
    startTime: '0s',
    gracefulStop: '11s',
    exec: 'steady',
    tags: { phase_kind: 'steady' },
  });
  assert.equal(opts.noConnectionReuse, false);

  const { r, dir, got, ps } = await runBundle(bin, 'steady', env);
  const n = got.length;
  assert.ok(n >= 38 && n <= 41, `about 20/s for 2 s, got ${n}`);
  // Request k of the test is order[k % 4] of the 3:1 cycle: exact for every whole cycle.
  const byRequest = countBy(got, (x) => `${x.method} ${x.url}`);
  const post = byRequest['POST /api/orders'] ?? 0;
  const get = byRequest['GET /health_check'] ?? 0;
  assert.equal(post + get, n, JSON.stringify(byRequest));
  assert.ok(Math.abs(post - (3 * n) / 4) <= 1, `weights 3:1 over the whole test: ${JSON.stringify(byRequest)}`);
  if (n % 4 === 0) assert.deepEqual([post, get], [(3 * n) / 4, n / 4]);
  for (const x of got.filter((y) => y.method === 'POST')) {
    assert.equal(x.body, ORDER);
    assert.equal(header(x, 'content-length'), String(Buffer.byteLength(ORDER)));
    assert.equal(header(x, 'authorization'), `Bearer ${TOKEN}`);
    assert.equal(header(x, 'content-type'), 'application/json');
  }
  const sockets = new Set(got.map((x) => x.socket)).size;
  assert.ok(sockets <= 8, `at most one kept-alive connection per VU (maxVUs 8), got ${sockets}`);
  assert.ok(sockets < n / 2, `connections reused: ${sockets} connections for ${n} requests`);

  assert.deepEqual(checks(ps), {
    'status is expected': { passes: post, fails: 0 },
    'status is 2xx': { passes: get, fails: 0 },
  });
  const reqs = ps.filter((p) => p.metric === 'http_reqs' && p.tags.leakbench !== 'setup');
  assert.deepEqual(
    countBy(reqs, (p) => p.tags.request ?? ''),
    { 'create-order': post, health: get },
    'each request tagged with its name',
  );

  // The summary names the requests; the token is neither there nor in the bundle.
  const summary = readFileSync(join(dir, 'summary.json'), 'utf8');
  const all =
    summary +
    r.stdout +
    r.stderr +
    readFileSync(bundle('steady'), 'utf8') +
    readFileSync(bundle('steady') + '.map', 'utf8');
  assert.ok(!all.includes(TOKEN), 'no token in the bundle, its source map, the console or the summary');
  const meta = (
    JSON.parse(summary) as { leakbench: { phases: { mix: { requests: { headers: [string, string][] }[] } }[] } }
  ).leakbench;
  assert.deepEqual(meta.phases[0]!.mix.requests[0]!.headers[1], [
    'Authorization',
    '[redacted] {env:LEAKBENCH_TEST_TOKEN}',
  ]);
});

test('burst bundle: -X/-H/--body as LEAKBENCH_METHOD, _HEADERS, _BODY; stages become ramping-arrival-rate', async (t: TestContext) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const { r, got, ps } = await runBundle(bin, 'burst', {
    LEAKBENCH_URL: `${base}/api/orders`,
    LEAKBENCH_REQUESTS: '20',
    LEAKBENCH_CONNECTIONS: '2',
    LEAKBENCH_METHOD: 'post',
    LEAKBENCH_HEADERS: '{"Content-Type": "application/json", "X-Api-Key": "{env:LEAKBENCH_TEST_TOKEN}"}',
    LEAKBENCH_BODY: '{"qty":1}',
    LEAKBENCH_EXPECT_STATUS: '201',
    LEAKBENCH_TEST_TOKEN: TOKEN,
  });
  assert.equal(got.length, 20);
  for (const x of got) {
    assert.equal(x.method, 'POST');
    assert.equal(x.url, '/api/orders');
    assert.equal(x.body, '{"qty":1}');
    assert.equal(header(x, 'x-api-key'), TOKEN);
  }
  assert.deepEqual(checks(ps), { 'status is expected': { passes: 20, fails: 0 } });
  assert.ok(!(r.stdout + r.stderr).includes(TOKEN));

  // The options as k6 inspect shows them; the next tests run such a scenario.
  const ramp = await inspect(bin, 'steady', {
    LEAKBENCH_URL: base,
    LEAKBENCH_STAGES: '30s:10,2m:25,30s:0',
    LEAKBENCH_CONNECTIONS: '20',
  });
  assert.deepEqual(ramp.scenarios.steady, {
    executor: 'ramping-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    stages: [
      { duration: '30s', target: 10 },
      { duration: '120s', target: 25 },
      { duration: '30s', target: 0 },
    ],
    preAllocatedVUs: 3,
    maxVUs: 20,
    startTime: '0s',
    gracefulStop: '11s',
    exec: 'steady',
    tags: { phase_kind: 'steady' },
  });
});

/**
 * When the steady bundle's iteration k (from 1) is due under LEAKBENCH_STAGES: a linear ramp
 * 0 → 15/s over 3 s (k = 2.5 t², 22.5 due), then 15/s for 1 s; 37 in all.
 */
function rampDueS(k: number): number {
  return k <= 22.5 ? Math.sqrt(k / 2.5) : 3 + (k - 22.5) / 15;
}

test('steady bundle with stages: ramping-arrival-rate runs in the harness, the rate ramps as asked, every due iteration is sent or dropped', async (t: TestContext) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const { got, iterations, dropped } = await runBundle(bin, 'steady', {
    LEAKBENCH_URL: `${base}/api/orders`,
    LEAKBENCH_STAGES: '3s:15,1s:15',
    LEAKBENCH_CONNECTIONS: '8',
    LEAKBENCH_METHOD: 'POST',
    LEAKBENCH_HEADERS: '{"Content-Type": "application/json"}',
    LEAKBENCH_BODY: ORDER,
  });
  assert.equal(iterations + dropped, 37, `37 due (the area under the ramp), ${iterations} run and ${dropped} dropped`);
  assert.equal(got.length, iterations, 'one request per iteration');
  for (const x of got) {
    assert.equal(`${x.method} ${x.url}`, 'POST /api/orders');
    assert.equal(x.body, ORDER);
  }
  assert.ok(new Set(got.map((x) => x.socket)).size <= 8, 'at most maxVUs connections');
  if (dropped > 0) return; // a stall of this shared machine; the shape below needs every iteration
  // Arrival k against due time k, up to one offset (the scenario's start as the server sees it):
  // a constant rate over the same span would miss by up to 0.6 s; scheduling jitter and the odd
  // stall of a shared machine are allowed for 1 request in 5.
  const atS = got.map((x) => x.atMs / 1000);
  const offsets = atS.map((a, i) => a - rampDueS(i + 1)).sort((a, b) => a - b);
  const offset = offsets[Math.floor(offsets.length / 2)]!;
  const near = atS.filter((a, i) => Math.abs(a - offset - rampDueS(i + 1)) <= 0.1).length;
  assert.ok(
    near >= 0.8 * got.length,
    `${near} of ${got.length} requests within 100 ms of their due time: ${JSON.stringify(atS.map((a) => Math.round((a - offset) * 1000)))}`,
  );
  // Slower at the start of the ramp than at its full rate: 5 gaps of 183 ms on average, then 67 ms.
  const gap = (i: number, j: number) => (atS[j]! - atS[i]!) / (j - i);
  assert.ok(
    gap(0, 5) > 2 * gap(22, 36),
    `gaps ${gap(0, 5).toFixed(3)} s at the start of the ramp, ${gap(22, 36).toFixed(3)} s at 15/s`,
  );
});

test('steady bundle with stages against a slow server: iterations with no free VU are dropped_iterations, and sent plus dropped is what was due', async (t: TestContext) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const slow = await recordingServer({ delayMs: 500 });
  t.after(() => slow.close());
  const { got, iterations, dropped } = await runBundle(
    bin,
    'steady',
    { LEAKBENCH_URL: slow.url.origin, LEAKBENCH_STAGES: '3s:15', LEAKBENCH_CONNECTIONS: '2' },
    slow,
  );
  // 0 → 15/s over 3 s: 22 due; two VUs each busy 0.5 s a request start at most 4 a second.
  assert.equal(iterations + dropped, 22, `${iterations} run, ${dropped} dropped`);
  assert.equal(got.length, iterations);
  assert.ok(dropped >= 8, `with 2 VUs and 500 ms answers at most about 12 can start, ${dropped} dropped`);
  assert.ok(new Set(got.map((x) => x.socket)).size <= 2, 'maxVUs 2: two kept-alive connections at most');
});

test('bad request env values fail at init, naming the variable or the file and line', async (t: TestContext) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const bad = async (name: string, env: Record<string, string>, expected: RegExp) => {
    const r = await runHarness(bin, ['inspect', ...envArgs(env), bundle(name)], out);
    assert.notEqual(r.code, 0, `${name} ${JSON.stringify(env)} should fail at init`);
    assert.match(r.stderr + r.stdout, expected);
  };
  await bad(
    'steady',
    { LEAKBENCH_REQUESTS_FILE: fixture('bad-line.txt') },
    /EnvError: LEAKBENCH_REQUESTS_FILE: \S*bad-line\.txt:3: weight: expected a whole number/,
  );
  await bad(
    'burst',
    { LEAKBENCH_HEADERS: '{"Authorization": "Bearer {env:LEAKBENCH_SURELY_UNSET}"}' },
    /EnvError: LEAKBENCH_SURELY_UNSET: not set/,
  );
  await bad('burst', { LEAKBENCH_HEADERS: 'Authorization: x' }, /EnvError: LEAKBENCH_HEADERS: expected JSON/);
  await bad('steady', { LEAKBENCH_STAGES: '30s' }, /EnvError: LEAKBENCH_STAGES: expected duration:rate pairs/);
  await bad(
    'steady',
    { LEAKBENCH_STAGES: '10s:500,10s:2000' },
    /EnvError: LEAKBENCH_STAGES: a rate must be at most 1000 per second, got \\?"10s:2000/,
  );
});
