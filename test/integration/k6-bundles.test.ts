/**
 * The k6 bundles, checked without k6: built with the same esbuild options as `npm run
 * build:k6`, inspected (ESM, k6 modules external, nothing from Node, source maps), then loaded
 * in Node with the stand-in k6 modules of test/k6-standin and run against the real bundled Gin
 * server. What k6 itself would do with them (executors, pacing, metrics) is not tested here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildK6 } from '../../src/k6/build.ts';
import { DEFAULTS } from '../../src/options/defaults.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../../src/target/launch.ts';
import { loadBundle, runIterations, state } from '../k6-standin/harness.ts';
import { closeStandinHttp } from '../k6-standin/http.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-k6-dist-'));
let target: LaunchedTarget;
let base: string;

before(async () => {
  const [binary, port] = await Promise.all([ensureBundledBinary('plain', () => {}), freePort()]);
  base = `http://127.0.0.1:${port}`;
  target = await launchTarget({
    command: { file: binary.path, args: ['-addr', `127.0.0.1:${port}`] },
    readyUrl: new URL('/health_check', base),
    readyTimeoutMs: 15_000,
    logFile: join(out, 'target.log'),
  });
  await buildK6(out);
});

after(async () => {
  await closeStandinHttp();
  await target?.stop(2000);
});

const bundle = (name: string) => join(out, `${name}.js`);
const sockets = () => new Set(state.requests.map((r) => r.socketId)).size;
type Scenarios = Record<string, Record<string, unknown>>;

test('bundles: ES modules importing only k6 modules, no Node built-ins, with source maps', () => {
  for (const name of ['idle', 'burst', 'soak']) {
    const js = readFileSync(bundle(name), 'utf8');
    const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(imports)].sort(), ['k6', 'k6/execution', 'k6/http'], `${name}: imports`);
    assert.match(js, /^export \{/m, `${name}: an ES module`);
    assert.doesNotMatch(js, /\bnode:|\brequire\(|\bprocess\.|__dirname/, `${name}: nothing from Node`);
    assert.match(js, new RegExp(`//# sourceMappingURL=${name}\\.js\\.map\\s*$`));
    const map = JSON.parse(readFileSync(bundle(name) + '.map', 'utf8')) as { sources: string[] };
    for (const src of [`scenarios/${name}.ts`, `scenarios/k6/${name}.ts`, 'src/load/phases.ts', 'src/options/defaults.ts', 'scenarios/k6/lib/to-k6-options.ts']) {
      assert.ok(map.sources.some((s) => s.endsWith(src)), `${name}.js.map lists ${src}`);
    }
  }
});

test('idle bundle: constant-arrival-rate at 1/s, a new connection per probe, against the real server', async () => {
  const b = await loadBundle(bundle('idle'), { LEAKBENCH_URL: base, LEAKBENCH_DURATION: '2m' });
  const s = (b.options.scenarios as Scenarios).idle!;
  assert.deepEqual(s, {
    executor: 'constant-arrival-rate', rate: 1, timeUnit: '1s', duration: '120s', preAllocatedVUs: 2, maxVUs: 4,
    startTime: '0s', gracefulStop: '2s', exec: 'idle', tags: { phase_kind: 'idle' },
  });
  assert.equal(b.options.noConnectionReuse, true);
  assert.deepEqual(b.options.thresholds, { http_req_failed: ['rate<0.01'], checks: ['rate>0.99'] });
  assert.equal(typeof b.exports.default, 'function');

  const data = b.fn('setup')();
  assert.deepEqual(data, { baseUrl: base });
  state.requests = [];
  runIterations(b, 'idle', 1, 5, data);
  assert.equal(state.requests.length, 5);
  for (const r of state.requests) {
    assert.equal(r.url, `${base}/health_check`);
    assert.equal(r.status, 200, 'the Gin server answered');
    assert.equal(r.headers.Connection, 'close');
    assert.match(r.headers['User-Agent'] ?? '', /^kube-probe\//);
  }
  assert.equal(sockets(), 5, 'noConnectionReuse: every probe on its own connection');
  assert.deepEqual(state.checks, { 'status is 2xx': { passes: 5, fails: 0 } });
});

test('burst bundle: shared-iterations, VUs = connections, keep-alive per VU', async () => {
  const b = await loadBundle(bundle('burst'), { LEAKBENCH_URL: `${base}/health_check`, LEAKBENCH_REQUESTS: '2000', LEAKBENCH_CONNECTIONS: '10' });
  assert.deepEqual((b.options.scenarios as Scenarios).burst, {
    executor: 'shared-iterations', vus: 10, iterations: 2000, maxDuration: '3600s',
    startTime: '0s', gracefulStop: '11s', exec: 'burst', tags: { phase_kind: 'burst' },
  });
  assert.equal(b.options.noConnectionReuse, false);
  runIterations(b, 'burst', 1, 30);
  runIterations(b, 'burst', 2, 20);
  assert.equal(state.requests.filter((r) => r.status === 200).length, 50);
  assert.equal(sockets(), 2, 'one kept-alive connection per VU');
  assert.ok(state.requests.every((r) => r.headers.Connection === undefined));
});

test('defaults are the built-in runner\'s', async () => {
  const b = await loadBundle(bundle('burst'), {});
  const s = (b.options.scenarios as Scenarios).burst!;
  assert.equal(s.iterations, DEFAULTS.requests);
  assert.equal(s.vus, DEFAULTS.connections);
  const idle = await loadBundle(bundle('idle'), {});
  const i = (idle.options.scenarios as Scenarios).idle!;
  assert.equal(i.duration, `${DEFAULTS.durationMs / 1000}s`);
  assert.equal(i.rate, DEFAULTS.rate);
  assert.equal(state.requests.length, 0);
});

test('soak bundle: phases chained with startTime; probes on fresh connections, the burst kept alive', async () => {
  const b = await loadBundle(bundle('soak'), { LEAKBENCH_URL: base, LEAKBENCH_IDLE_BEFORE: '30s', LEAKBENCH_IDLE_AFTER: '1m', LEAKBENCH_REQUESTS: '100', LEAKBENCH_CONNECTIONS: '4', LEAKBENCH_MAX_DURATION: '5m' });
  const sc = b.options.scenarios as Scenarios;
  assert.deepEqual(Object.keys(sc), ['idle-before', 'burst', 'idle-after']);
  assert.deepEqual(Object.values(sc).map((s) => [s.executor, s.startTime, s.exec]), [
    ['constant-arrival-rate', '0s', 'idle'],
    ['shared-iterations', '32s', 'burst'],
    ['constant-arrival-rate', '343s', 'idle'],
  ]);
  assert.equal(b.options.noConnectionReuse, false, 'k6 has one switch for the whole test, and the burst needs keep-alive');
  assert.equal(b.exports.default, undefined, 'every scenario names its exec function');
  runIterations(b, 'idle-before', 1, 3);
  runIterations(b, 'burst', 2, 10);
  runIterations(b, 'idle-after', 1, 3);
  const by = (scenario: string) => state.requests.filter((r) => r.scenario === scenario);
  assert.equal(new Set(by('idle-before').map((r) => r.socketId)).size, 3, 'Connection: close: a new connection per probe');
  assert.equal(new Set(by('burst').map((r) => r.socketId)).size, 1, 'the burst reuses its connection');
  assert.ok(state.requests.every((r) => r.status === 200));
  // Each function finds its phase by the scenario k6 runs it in; a mix-up is an error, not traffic.
  state.scenario = 'idle-before';
  assert.throws(() => b.fn('burst')(), /scenario "idle-before" is not a burst phase of soak/);
});

test('handleSummary writes the summary JSON where LEAKBENCH_SUMMARY says, with the scenario', async () => {
  const b = await loadBundle(bundle('idle'), { LEAKBENCH_URL: base, LEAKBENCH_SUMMARY: 'out/summary.json' });
  const data = { metrics: { http_reqs: { type: 'counter', values: { count: 5, rate: 1 } }, http_req_failed: { type: 'rate', values: { rate: 0, passes: 0, fails: 5 }, thresholds: { 'rate<0.01': { ok: true } } } }, state: { testRunDurationMs: 5000 }, root_group: { checks: [] } };
  const res = b.fn('handleSummary')(data) as Record<string, string>;
  assert.deepEqual(Object.keys(res).sort(), ['out/summary.json', 'stdout']);
  const written = JSON.parse(res['out/summary.json']!) as { leakbench: { scenario: string; phases: { name: string }[] }; metrics: unknown };
  assert.equal(written.leakbench.scenario, 'idle');
  assert.deepEqual(written.leakbench.phases.map((p) => p.name), ['idle']);
  assert.deepEqual(written.metrics, data.metrics);
  assert.match(res.stdout!, /5 requests, 0 failed/);
  const toStdout = await loadBundle(bundle('idle'), { LEAKBENCH_SUMMARY: 'stdout' });
  const lines = (toStdout.fn('handleSummary')(data) as Record<string, string>).stdout!.trimEnd().split('\n');
  assert.ok(JSON.parse(lines.at(-1)!).leakbench, 'the last stdout line is the summary JSON, for kubectl logs');
});

test('a bad __ENV value fails at init, naming the variable', async () => {
  await assert.rejects(loadBundle(bundle('idle'), { LEAKBENCH_RATE: 'fast' }), /^EnvError: LEAKBENCH_RATE: expected a number greater than 0, got "fast"/);
  await assert.rejects(loadBundle(bundle('burst'), { LEAKBENCH_REQUESTS: '10', LEAKBENCH_CONNECTIONS: '20' }), /LEAKBENCH_CONNECTIONS: 20 connections cannot share 10 requests/);
  await assert.rejects(loadBundle(bundle('idle'), { LEAKBENCH_URL: 'ftp://x' }), /LEAKBENCH_URL: expected an http/);
});

test('setup fails the run with the reason when the target does not answer', async () => {
  const port = await freePort();
  const b = await loadBundle(bundle('idle'), { LEAKBENCH_URL: `http://127.0.0.1:${port}` });
  assert.throws(() => b.fn('setup')(), /the target http:\/\/127\.0\.0\.1:\d+\/health_check did not answer: .*ECONNREFUSED|did not answer/);
  assert.ok(existsSync(bundle('idle')));
});
