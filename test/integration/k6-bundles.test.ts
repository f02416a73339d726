/**
 * The k6 bundles, built with the same esbuild options as `npm run build:k6`, inspected, then run
 * by the k6 harness (test/k6-harness: Go on grafana/sobek, k6's JavaScript engine, with k6's
 * modules, lifecycle and executors re-implemented from k6's documentation) against the real
 * bundled Gin server, and their `--out json` streams and summaries imported into reports.
 * k6's own Go code and its scheduler at scale are not exercised (docs/k6.md, "What was checked").
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildK6 } from '../../src/k6/build.ts';
import { importK6 } from '../../src/k6/import.ts';
import { newLatencyHistogram, latencySummary, recordMs } from '../../src/load/latency.ts';
import { DEFAULTS } from '../../src/options/defaults.ts';
import type { RunEvent, RunFile } from '../../src/rundir/schema.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../../src/target/launch.ts';
import { runCli } from '../helpers/cli.ts';
import { envArgs, harnessOrSkip, runHarness, type HarnessResult } from '../helpers/k6-harness.ts';
import { findTool } from '../helpers/tools.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-k6-dist-'));
let target: LaunchedTarget | undefined;
let base = '';

before(async () => {
  await buildK6(out);
  // Without Go there is neither the target nor the harness; the tests say so one by one.
  if (!findTool('go')) return;
  const [binary, port] = await Promise.all([ensureBundledBinary('plain', () => {}), freePort()]);
  base = `http://127.0.0.1:${port}`;
  target = await launchTarget({
    command: { file: binary.path, args: ['-addr', `127.0.0.1:${port}`] },
    readyUrl: new URL('/health_check', base),
    readyTimeoutMs: 15_000,
    logFile: join(out, 'target.log'),
  });
});

after(async () => {
  await target?.stop(2000);
});

const bundle = (name: string) => join(out, `${name}.js`);

/** Each run in a directory of its own: handleSummary writes relative paths there. */
function workDir(name: string): string {
  const d = join(out, `run-${name}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(d);
  return d;
}

interface Point {
  metric: string;
  timeMs: number;
  value: number;
  tags: Record<string, string>;
}

function points(file: string): Point[] {
  const buf = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  const outp: Point[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const rec = JSON.parse(line) as {
      type: string;
      metric: string;
      data: { time: string; value: number; tags: Record<string, string> | null };
    };
    if (rec.type === 'Point')
      outp.push({
        metric: rec.metric,
        timeMs: Date.parse(rec.data.time),
        value: rec.data.value,
        tags: rec.data.tags ?? {},
      });
  }
  return outp;
}

const requests = (ps: Point[], scenario?: string) =>
  ps.filter(
    (p) =>
      p.metric === 'http_req_duration' &&
      (scenario === undefined ? p.tags.leakbench !== 'setup' : p.tags.scenario === scenario),
  );
/** Requests sent on a connection of their own: k6 reports http_req_connecting 0 for a reused connection, the dial time otherwise. */
const newConnections = (ps: Point[], scenario: string) =>
  ps.filter((p) => p.metric === 'http_req_connecting' && p.tags.scenario === scenario && p.value > 0).length;

/**
 * Keep-alive: a connection per VU, and now and then one more: Go's transport (k6's too) dials
 * for a request when the previous response's connection is not back in the pool yet.
 */
function assertKeptAlive(ps: Point[], scenario: string, vus: number, what: string): void {
  const n = newConnections(ps, scenario);
  assert.ok(
    n >= vus && n <= vus * 2,
    `${what}: ${n} new connections for ${vus} VUs, ${requests(ps, scenario).length} requests`,
  );
}

function assertOk(r: HarnessResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
}

async function harness(t: TestContext): Promise<string | undefined> {
  const bin = await harnessOrSkip(t);
  if (bin !== undefined) assert.ok(target, 'the bundled target is running');
  return bin;
}

test('bundles: ES modules importing only k6 modules, no Node built-ins, with source maps', () => {
  for (const name of ['idle', 'burst', 'soak', 'steady']) {
    const js = readFileSync(bundle(name), 'utf8');
    const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(imports)].sort(), ['k6', 'k6/execution', 'k6/http', 'k6/metrics'], `${name}: imports`);
    assert.match(js, /^export \{/m, `${name}: an ES module`);
    assert.doesNotMatch(js, /\bnode:|\brequire\(|\bprocess\.|__dirname/, `${name}: nothing from Node`);
    assert.match(js, new RegExp(`//# sourceMappingURL=${name}\\.js\\.map\\s*$`));
    const map = JSON.parse(readFileSync(bundle(name) + '.map', 'utf8')) as { sources: string[] };
    for (const src of [
      `scenarios/${name}.ts`,
      `scenarios/k6/${name}.ts`,
      'src/load/phases.ts',
      'src/options/defaults.ts',
      'scenarios/k6/lib/to-k6-options.ts',
    ]) {
      assert.ok(
        map.sources.some((s) => s.endsWith(src)),
        `${name}.js.map lists ${src}`,
      );
    }
  }
});

type Scenarios = Record<string, Record<string, unknown>>;

test("options as sobek evaluates them: the built-in runner's defaults, and the soak's phases back to back", async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const inspect = async (name: string, env: Record<string, string> = {}) => {
    const r = await runHarness(bin, ['inspect', ...envArgs(env), bundle(name)], out);
    assertOk(r, `inspect ${name}`);
    return JSON.parse(r.stdout) as { scenarios: Scenarios; noConnectionReuse: boolean; thresholds: unknown };
  };
  const [idle, burst, soak] = await Promise.all([inspect('idle'), inspect('burst'), inspect('soak')]);
  assert.deepEqual(idle.scenarios.idle, {
    executor: 'constant-arrival-rate',
    rate: DEFAULTS.rate,
    timeUnit: '1s',
    duration: `${DEFAULTS.durationMs / 1000}s`,
    preAllocatedVUs: 2,
    maxVUs: 4,
    startTime: '0s',
    gracefulStop: '2s',
    exec: 'idle',
    tags: { phase_kind: 'idle' },
  });
  assert.equal(idle.noConnectionReuse, true);
  assert.deepEqual(idle.thresholds, { http_req_failed: ['rate<0.01'], checks: ['rate>0.99'] });
  assert.deepEqual(burst.scenarios.burst, {
    executor: 'shared-iterations',
    vus: DEFAULTS.connections,
    iterations: DEFAULTS.requests,
    maxDuration: '3600s',
    startTime: '0s',
    gracefulStop: '11s',
    exec: 'burst',
    tags: { phase_kind: 'burst' },
  });
  assert.equal(burst.noConnectionReuse, false);
  // The probes after the burst start with it and wait for it, instead of after its hour of maxDuration.
  assert.deepEqual(
    Object.fromEntries(Object.entries(soak.scenarios).map(([n, s]) => [n, [s.executor, s.startTime, s.exec]])),
    {
      'idle-before': ['constant-arrival-rate', '0s', 'idle'],
      burst: ['shared-iterations', '62s', 'burst'],
      'idle-after': ['per-vu-iterations', '62s', 'idleAfterBurst'],
    },
  );
  assert.equal(soak.noConnectionReuse, false, 'k6 has one switch for the whole test, and the burst needs keep-alive');
});

test('idle in sobek: paced probes at 2/s, each on a new connection, checks, the summary file, and its import', async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const dir = workDir('idle');
  const r = await runHarness(
    bin,
    [
      'run',
      ...envArgs({
        LEAKBENCH_URL: base,
        LEAKBENCH_RATE: '2',
        LEAKBENCH_DURATION: '3s',
        LEAKBENCH_SUMMARY: 'summary.json',
      }),
      '--out',
      'json=k6.json',
      bundle('idle'),
    ],
    dir,
  );
  assertOk(r, 'idle');
  assert.match(
    r.stdout,
    /leakbench k6 idle against http:\/\/127\.0\.0\.1:\d+: 7 requests, 0 failed, checks 6\/6 passed/,
  );
  const ps = points(join(dir, 'k6.json'));
  const probes = requests(ps, 'idle');
  assert.equal(probes.length, 6, 'rate 2/s for 3s');
  assert.ok(
    probes.every(
      (p) => p.tags.status === '200' && p.tags.phase_kind === 'idle' && p.tags.url === `${base}/health_check`,
    ),
  );
  assert.equal(newConnections(ps, 'idle'), 6, 'noConnectionReuse: a new connection per probe');
  // constant-arrival-rate starts iteration k at k × 500 ms, whatever the previous ones did.
  const starts = probes.map((p) => p.timeMs - p.value).sort((a, b) => a - b);
  const span = starts.at(-1)! - starts[0]!;
  assert.ok(span >= 2400 && span < 3000, `the six probes span 2.5 s, got ${span} ms`);
  assert.equal(ps.filter((p) => p.metric === 'checks' && p.value === 1 && p.tags.check === 'status is 2xx').length, 6);

  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    leakbench: { scenario: string; phases: { name: string }[] };
    metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
    root_group: { checks: { name: string; passes: number; fails: number }[] };
    state: { testRunDurationMs: number };
  };
  assert.equal(summary.leakbench.scenario, 'idle');
  assert.equal(summary.metrics.http_reqs!.values.count, 7, "the probes and setup()'s request");
  assert.deepEqual(summary.metrics.http_req_failed!.thresholds, { 'rate<0.01': { ok: true } });
  assert.deepEqual(
    summary.root_group.checks.map((c) => [c.name, c.passes, c.fails]),
    [['status is 2xx', 6, 0]],
  );
  assert.ok(summary.state.testRunDurationMs >= 3000, 'the executor lasts its duration');

  const { run } = await importK6({
    inputs: [join(dir, 'k6.json'), join(dir, 'summary.json')],
    outDir: dir,
    name: 'report',
  });
  const phase = run.phases[0]!;
  assert.deepEqual(
    [
      phase.name,
      phase.kind,
      phase.result?.requested,
      phase.result?.sent,
      phase.result?.completed,
      phase.result?.errors,
    ],
    ['idle', 'idle', 6, 6, 6, 0],
  );
  assert.deepEqual(run.k6?.summary && [run.k6.summary.httpReqs, run.k6.summary.checks], [7, { passes: 6, fails: 0 }]);
});

test('burst in sobek on two runners: shared iterations over keep-alive VUs; the import adds counts and merges histograms', async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const dir = workDir('burst');
  const env = envArgs({
    LEAKBENCH_URL: `${base}/health_check`,
    LEAKBENCH_REQUESTS: '1500',
    LEAKBENCH_CONNECTIONS: '6',
  });
  // k6-operator runs each runner with its own instance_id tag; one stream gzipped, as k6 writes a .gz name.
  const [a, b] = await Promise.all([
    runHarness(
      bin,
      [
        'run',
        ...env,
        '-e',
        'LEAKBENCH_SUMMARY=summary-1.json',
        '--tag',
        'instance_id=1',
        '--out',
        'json=runner-1.json.gz',
        bundle('burst'),
      ],
      dir,
    ),
    runHarness(
      bin,
      [
        'run',
        ...env,
        '-e',
        'LEAKBENCH_SUMMARY=summary-2.json',
        '--tag',
        'instance_id=2',
        '--out',
        'json=runner-2.json',
        bundle('burst'),
      ],
      dir,
    ),
  ]);
  assertOk(a, 'runner 1');
  assertOk(b, 'runner 2');
  const streams = [points(join(dir, 'runner-1.json.gz')), points(join(dir, 'runner-2.json'))];
  for (const [i, ps] of streams.entries()) {
    const reqs = requests(ps, 'burst');
    assert.equal(reqs.length, 1500, `runner ${i + 1}: every shared iteration once`);
    assert.ok(reqs.every((p) => p.tags.status === '200' && p.tags.instance_id === String(i + 1)));
    assertKeptAlive(ps, 'burst', 6, `runner ${i + 1}`);
  }
  const { run } = await importK6({
    inputs: [
      join(dir, 'runner-1.json.gz'),
      join(dir, 'runner-2.json'),
      join(dir, 'summary-1.json'),
      join(dir, 'summary-2.json'),
    ],
    outDir: dir,
    name: 'report',
  });
  const result = run.phases[0]!.result!;
  assert.deepEqual(
    [result.requested, result.sent, result.completed, result.errors, result.statusCodes],
    [1500, 3000, 3000, 0, { '200': 3000 }],
  );
  assert.deepEqual(
    run.k6?.runners.map((r) => [r.id, r.requests]),
    [
      ['instance 1', 1500],
      ['instance 2', 1500],
    ],
  );
  assert.equal(run.k6?.summary?.httpReqs, 3002, "both summaries, setup()'s requests included");
  // The phase's percentiles are those of every request of both runners in one histogram.
  const h = newLatencyHistogram();
  for (const ps of streams) for (const p of requests(ps, 'burst')) recordMs(h, p.value);
  assert.deepEqual(result.latency, latencySummary(h));
  h.destroy();
});

test('soak in sobek with the default hour of maxDuration: the three phases follow each other within seconds', async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const dir = workDir('soak');
  const started = Date.now();
  const r = await runHarness(
    bin,
    [
      'run',
      ...envArgs({
        LEAKBENCH_URL: base,
        LEAKBENCH_IDLE_BEFORE: '2s',
        LEAKBENCH_IDLE_AFTER: '3s',
        LEAKBENCH_REQUESTS: '4000',
        LEAKBENCH_CONNECTIONS: '8',
        LEAKBENCH_SUMMARY: 'summary.json',
      }),
      '--out',
      'json=k6.json',
      bundle('soak'),
    ],
    dir,
  );
  assertOk(r, 'soak');
  assert.ok(Date.now() - started < 40_000, 'minutes, not the hour of maxDuration');
  const ps = points(join(dir, 'k6.json'));
  assert.equal(
    newConnections(ps, 'idle-after'),
    3,
    'Connection: close: a new connection per probe while the burst keeps its own',
  );
  assertKeptAlive(ps, 'burst', 8, 'soak burst');
  assert.ok(!ps.some((p) => p.metric === 'leakbench_dropped_probes'), 'no probe dropped');

  // Through the CLI, as a user would import it.
  const cli = await runCli(
    ['report', '--k6', join(dir, 'k6.json'), '--k6', join(dir, 'summary.json'), '--out', dir, '--name', 'report'],
    { timeoutMs: 60_000 },
  );
  assert.equal(cli.code, 0, cli.stderr);
  const run = JSON.parse(readFileSync(join(dir, 'report', 'run.json'), 'utf8')) as RunFile;
  const phase = (name: string) => {
    const p = run.phases.find((x) => x.name === name);
    assert.ok(p?.startT !== undefined && p.endT !== undefined, `phase ${name} has a start and an end`);
    return { startT: p.startT, endT: p.endT };
  };
  assert.deepEqual(
    run.phases.map((p) => [p.name, p.result?.sent, p.result?.completed]),
    [
      ['idle-before', 2, 2],
      ['burst', 4000, 4000],
      ['idle-after', 3, 3],
    ],
  );
  const gapBefore = phase('burst').startT - phase('idle-before').endT;
  const gapAfter = phase('idle-after').startT - phase('burst').endT;
  // idle-before's window (2 s and its gracefulStop) fixes the burst's start; the probes after it follow the burst's VUs.
  assert.ok(gapBefore > 0 && gapBefore < 5, `burst ${gapBefore} s after the last probe`);
  assert.ok(gapAfter >= 0 && gapAfter < 1.5, `probes ${gapAfter} s after the burst's last request`);
  const events = readFileSync(join(dir, 'report', 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as RunEvent);
  assert.deepEqual(
    events.filter((e) => e.type === 'warning').map((e) => e.message),
    [],
    'counts and summary agree',
  );
});

test('maxDuration ends a burst that has not finished; the import says how much of it was sent', async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const dir = workDir('max-duration');
  const started = Date.now();
  const r = await runHarness(
    bin,
    [
      'run',
      ...envArgs({
        LEAKBENCH_URL: base,
        LEAKBENCH_REQUESTS: '1000000',
        LEAKBENCH_CONNECTIONS: '2',
        LEAKBENCH_MAX_DURATION: '1s',
        LEAKBENCH_SUMMARY: 'summary.json',
      }),
      '--out',
      'json=k6.json',
      bundle('burst'),
    ],
    dir,
  );
  assertOk(r, 'burst cut by maxDuration');
  assert.ok(Date.now() - started < 10_000, 'stopped after its second, not after a million requests');
  // The summary names the scenario and its phases: what was asked for.
  const { run } = await importK6({
    inputs: [join(dir, 'k6.json'), join(dir, 'summary.json')],
    outDir: dir,
    name: 'report',
  });
  const sent = run.phases[0]!.result!.sent;
  assert.ok(sent > 0 && sent < 1_000_000, `${sent} sent`);
  const events = readFileSync(join(dir, 'report', 'events.ndjson'), 'utf8');
  assert.match(events, new RegExp(`k6 sent ${sent} of the 1000000 requests the scenario asks for`));
});

test("a crossed threshold fails the run with k6's exit code 99, and the summary says which", async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const r = await runHarness(
    bin,
    [
      'run',
      ...envArgs({ LEAKBENCH_URL: base, LEAKBENCH_PATH: '/no-such-path', LEAKBENCH_DURATION: '1s' }),
      bundle('idle'),
    ],
    workDir('404'),
  );
  assert.equal(r.code, 99, r.stderr);
  assert.match(r.stdout, /threshold http_req_failed rate<0\.01: CROSSED/);
  assert.match(r.stdout, /threshold checks rate>0\.99: CROSSED/);
  assert.match(
    r.stderr,
    /thresholds on metrics 'http_req_failed: rate<0\.01', 'checks: rate>0\.99' have been crossed|thresholds on metrics 'checks: rate>0\.99', 'http_req_failed: rate<0\.01' have been crossed/,
  );
});

test('script errors stop the run as k6 stops it (exit 107): bad __ENV in init, with the stack mapped to the TypeScript; a target that does not answer in setup()', async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const bad = await runHarness(bin, ['run', '-e', 'LEAKBENCH_RATE=fast', bundle('idle')], out);
  assert.equal(bad.code, 107);
  assert.match(bad.stderr, /EnvError: LEAKBENCH_RATE: expected a number greater than 0, got \\"fast\\"/);
  assert.match(
    bad.stderr,
    /scenarios\/k6\/lib\/env\.ts:\d+/,
    'the stack points into the TypeScript through the source map',
  );
  const port = await freePort();
  const down = await runHarness(bin, ['run', '-e', `LEAKBENCH_URL=http://127.0.0.1:${port}`, bundle('idle')], out);
  assert.equal(down.code, 107);
  assert.match(
    down.stderr,
    /setup\(\) failed: .*the target http:\/\/127\.0\.0\.1:\d+\/health_check did not answer: dial: connection refused/,
  );
});

test("an init-context mistake planted in a copy of a bundle fails with k6's message", async (t) => {
  const bin = await harness(t);
  if (!bin) return;
  const dir = workDir('planted');
  const js = readFileSync(bundle('burst'), 'utf8');
  const mark = '//# sourceMappingURL=';
  assert.ok(js.includes(mark));
  // A request at the top level, as someone might write to warm the target up.
  const planted = js.replace(
    mark,
    `import plantedHttp from "k6/http";\nplantedHttp.get(${JSON.stringify(`${base}/health_check`)});\n${mark}`,
  );
  writeFileSync(join(dir, 'burst.js'), planted);
  copyFileSync(bundle('burst') + '.map', join(dir, 'burst.js.map'));
  const r = await runHarness(
    bin,
    [
      'run',
      '-e',
      `LEAKBENCH_URL=${base}`,
      '-e',
      'LEAKBENCH_REQUESTS=10',
      '-e',
      'LEAKBENCH_CONNECTIONS=1',
      join(dir, 'burst.js'),
    ],
    dir,
  );
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /Making http requests in the init context is not supported/);
  // The same copy without the plant runs: the failure is the plant's, not the copy's.
  writeFileSync(join(dir, 'burst.js'), js);
  assertOk(
    await runHarness(
      bin,
      [
        'run',
        '-e',
        `LEAKBENCH_URL=${base}`,
        '-e',
        'LEAKBENCH_REQUESTS=10',
        '-e',
        'LEAKBENCH_CONNECTIONS=1',
        join(dir, 'burst.js'),
      ],
      dir,
    ),
    'unplanted copy',
  );
  assert.ok(existsSync(join(dir, 'burst.js.map')));
});
