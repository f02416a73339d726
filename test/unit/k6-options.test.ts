/**
 * The pure half of the k6 scripts, imported straight from scenarios/k6/lib: __ENV parsing and
 * PhaseSpec → k6 options. The built-in scenarios and defaults are the runner's own, so a
 * change to either shows up here as a difference between the two engines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarios } from '../../scenarios/index.ts';
import { DEFAULT_BASE_URL, DEFAULT_MAX_DURATION_MS, readScriptEnv } from '../../scenarios/k6/lib/env.ts';
import { summaryOutputs, K6_META_SCHEMA } from '../../scenarios/k6/lib/summary.ts';
import { BURST_START_GRACE_MS, burstIsOver, probeStep } from '../../scenarios/k6/lib/after-burst.ts';
import { arrivalRate, k6Duration, toK6Options } from '../../scenarios/k6/lib/to-k6-options.ts';
import { k6ConfigMapCommand } from '../../src/commands/k6-configmap.ts';
import { configMapYaml } from '../../src/k6/configmap.ts';
import { DEFAULTS } from '../../src/options/defaults.ts';
import { buildPhases } from '../../src/run/load-scenario.ts';
import { tempDir } from '../helpers/synthetic-run.ts';

test("__ENV defaults are the built-in runner's DEFAULTS", () => {
  const e = readScriptEnv({});
  assert.equal(e.baseUrl, DEFAULT_BASE_URL);
  assert.equal(e.maxDurationMs, DEFAULT_MAX_DURATION_MS);
  assert.ok(e.maxDurationMs > 10 * 60_000, "above k6's 10m default maxDuration");
  assert.equal(e.summaryTarget, undefined);
  assert.deepEqual(e.params, {
    path: DEFAULTS.path,
    rate: DEFAULTS.rate,
    durationMs: DEFAULTS.durationMs,
    probeTimeoutMs: DEFAULTS.probeTimeoutMs,
    requests: DEFAULTS.requests,
    connections: DEFAULTS.connections,
    requestTimeoutMs: DEFAULTS.requestTimeoutMs,
    idleBeforeMs: DEFAULTS.idleBeforeMs,
    idleAfterMs: DEFAULTS.idleAfterMs,
  });
});

test('__ENV values: units, 1e6, a URL with a path, and errors that name the variable', () => {
  const e = readScriptEnv({
    LEAKBENCH_URL: 'http://10.0.0.5:9000/healthz',
    LEAKBENCH_DURATION: '1h30m',
    LEAKBENCH_REQUESTS: '1e6',
    LEAKBENCH_CONNECTIONS: '1_000',
    LEAKBENCH_RATE: '0.5',
    LEAKBENCH_SUMMARY: 'stdout',
  });
  assert.equal(e.baseUrl, 'http://10.0.0.5:9000');
  assert.equal(e.params.path, '/healthz');
  assert.equal(e.params.durationMs, 90 * 60_000);
  assert.equal(e.params.requests, 1_000_000);
  assert.equal(e.params.connections, 1000);
  assert.equal(e.params.rate, 0.5);
  assert.equal(e.summaryTarget, 'stdout');
  assert.equal(readScriptEnv({ LEAKBENCH_URL: 'http://h:1/a', LEAKBENCH_PATH: '/b' }).params.path, '/b');
  const bad: [Record<string, string>, RegExp][] = [
    [{ LEAKBENCH_DURATION: '600' }, /^EnvError: LEAKBENCH_DURATION: expected a duration with a unit like 30s/],
    [{ LEAKBENCH_DURATION: '500ms' }, /^EnvError: LEAKBENCH_DURATION: must be at least 1000 ms/],
    [{ LEAKBENCH_REQUESTS: '1.5' }, /^EnvError: LEAKBENCH_REQUESTS: expected a whole number/],
    [{ LEAKBENCH_RATE: '0' }, /^EnvError: LEAKBENCH_RATE: expected a number greater than 0/],
    [{ LEAKBENCH_RATE: '5000' }, /^EnvError: LEAKBENCH_RATE: must be at most 1000/],
    [{ LEAKBENCH_PATH: 'health' }, /^EnvError: LEAKBENCH_PATH: expected a path starting with \//],
    [{ LEAKBENCH_URL: '127.0.0.1:8080' }, /^EnvError: LEAKBENCH_URL: expected an http/],
  ];
  for (const [env, re] of bad) assert.throws(() => readScriptEnv(env), re);
});

test('every built-in scenario becomes the same phases in k6 as in the built-in runner', () => {
  const { params, maxDurationMs } = readScriptEnv({});
  for (const def of Object.values(scenarios)) {
    const phases = buildPhases(def, params);
    const k6 = toK6Options(def.phases(params), { maxDurationMs });
    assert.deepEqual(
      Object.keys(k6.scenarios),
      phases.map((p) => p.name),
      def.name,
    );
    for (const p of phases) {
      const s = k6.scenarios[p.name]!;
      if (p.kind === 'idle' && s.executor === 'per-vu-iterations') {
        // Probes right after a burst: one VU paces them itself (script.ts idleAfterBurst).
        assert.equal(def.name, 'soak');
        assert.ok(s.vus === 1 && s.iterations === 1 && s.exec === 'idleAfterBurst');
      } else if (p.kind === 'idle') {
        assert.equal(s.executor, 'constant-arrival-rate');
        assert.ok(
          s.executor === 'constant-arrival-rate' &&
            s.rate === p.rate &&
            s.timeUnit === '1s' &&
            s.duration === k6Duration(p.durationMs),
        );
        assert.ok(s.executor === 'constant-arrival-rate' && s.preAllocatedVUs <= 3, 'a few VUs for probes');
      } else if (p.kind === 'burst') {
        assert.ok(
          s.executor === 'shared-iterations' &&
            s.vus === p.connections &&
            s.iterations === p.requests &&
            s.maxDuration === '3600s',
        );
      }
    }
  }
});

test('idle alone opens a connection per probe; a soak with a burst keeps the switch off', () => {
  const { params } = readScriptEnv({});
  assert.equal(toK6Options(scenarios.idle.phases(params), { maxDurationMs: 60_000 }).noConnectionReuse, true);
  assert.equal(toK6Options(scenarios.burst.phases(params), { maxDurationMs: 60_000 }).noConnectionReuse, false);
  const soak = toK6Options(scenarios.soak.phases({ ...params, idleBeforeMs: 0 }), { maxDurationMs: 120_000 });
  assert.deepEqual(
    Object.keys(soak.scenarios),
    ['burst', 'idle-after'],
    'a zero-length phase is left out, as the runner does',
  );
  assert.equal(soak.noConnectionReuse, false);
});

test('soak: the probes after the burst start with it and may last its whole window plus their own', () => {
  const { params } = readScriptEnv({});
  const soak = toK6Options(scenarios.soak.phases(params), { maxDurationMs: 120_000 });
  const { burst, 'idle-after': after } = soak.scenarios;
  assert.equal(burst!.startTime, '62s', 'after idle-before (60 s) and its gracefulStop');
  assert.deepEqual(after, {
    executor: 'per-vu-iterations',
    vus: 1,
    iterations: 1,
    startTime: '62s',
    exec: 'idleAfterBurst',
    gracefulStop: '2s',
    tags: { phase_kind: 'idle' },
    // the burst's window (120 s + 11 s), the wait for it to show up, 2 min of probes, the last one's timeout, 1 s
    maxDuration: `${131 + BURST_START_GRACE_MS / 1000 + 120 + 1 + 1}s`,
  });
});

test('burstIsOver: only this VU active, after the burst left a trace or had time to show up', () => {
  const v = { vusActive: 1, completedSinceWait: 0, msSinceWait: 0 };
  assert.equal(burstIsOver(v), false, "the burst's VUs may not be active yet");
  assert.equal(
    burstIsOver({ ...v, msSinceWait: BURST_START_GRACE_MS }),
    true,
    'a burst with no VU here (another runner has them)',
  );
  assert.equal(burstIsOver({ ...v, vusActive: 11, completedSinceWait: 500 }), false, 'running');
  assert.equal(
    burstIsOver({ ...v, completedSinceWait: 5 }),
    true,
    'a burst that ended, however short, even between two looks',
  );
  assert.equal(
    burstIsOver({ ...v, vusActive: 2, msSinceWait: 10 * BURST_START_GRACE_MS }),
    false,
    'still running, however long',
  );
});

test("probeStep: probes on the clock's schedule; a whole interval late is dropped, not sent late", () => {
  assert.deepEqual(probeStep(0, 1000, 1000, 1000), { action: 'send' });
  assert.deepEqual(probeStep(2, 1000, 1000, 2500), { action: 'wait', ms: 500 });
  assert.deepEqual(probeStep(2, 1000, 1000, 3999), { action: 'send' }, 'late by less than an interval: sent');
  assert.deepEqual(probeStep(2, 1000, 1000, 4000), { action: 'drop' });
  assert.deepEqual(probeStep(3, 0, 500, 1500), { action: 'send' });
});

test('rates and durations k6 can read', () => {
  assert.deepEqual(arrivalRate(1), { rate: 1, timeUnit: '1s' });
  assert.deepEqual(arrivalRate(0.5), { rate: 1, timeUnit: '2s' });
  assert.deepEqual(arrivalRate(2.5), { rate: 5, timeUnit: '2s' });
  assert.deepEqual(arrivalRate(0.25), { rate: 1, timeUnit: '4s' });
  assert.equal(k6Duration(600_000), '600s');
  assert.equal(k6Duration(1500), '1500ms');
  assert.throws(() => arrivalRate(0), /greater than 0/);
});

test('handleSummary outputs: text only, a file, or one JSON line on stdout', () => {
  const meta = {
    schema: K6_META_SCHEMA,
    scenario: 'idle',
    baseUrl: 'http://h:1',
    phases: [],
    maxDurationMs: 1,
  } as const;
  const data = { metrics: { http_reqs: { values: { count: 3 } } }, state: { testRunDurationMs: 1 } };
  assert.deepEqual(Object.keys(summaryOutputs(data, { ...meta, phases: [] }, undefined)), ['stdout']);
  assert.deepEqual(Object.keys(summaryOutputs(data, { ...meta, phases: [] }, '/results/s.json')).sort(), [
    '/results/s.json',
    'stdout',
  ]);
  const line = summaryOutputs(data, { ...meta, phases: [] }, 'stdout')
    .stdout!.trimEnd()
    .split('\n')
    .at(-1)!;
  assert.equal((JSON.parse(line) as { leakbench: { scenario: string } }).leakbench.scenario, 'idle');
});

test('k6-configmap: every bundle and map as a JSON-quoted YAML value', async () => {
  const dist = tempDir('leakbench-dist-');
  mkdirSync(dist, { recursive: true });
  const js =
    'import http from "k6/http";\nexport default function () { http.get("x"); }\n//# sourceMappingURL=idle.js.map\n';
  writeFileSync(join(dist, 'idle.js'), js);
  writeFileSync(join(dist, 'idle.js.map'), '{"version":3}');
  writeFileSync(join(dist, 'notes.txt'), 'ignored');
  const out = join(dist, 'cm.yaml');
  const code = await k6ConfigMapCommand(['--dist', dist, '--namespace', 'load', '--out', out], {
    out: () => {},
    err: () => {},
    signal: new AbortController().signal,
  });
  assert.equal(code, 0);
  const yaml = configMapYaml({
    name: 'leakbench-k6',
    namespace: 'load',
    files: { 'idle.js': js, 'idle.js.map': '{"version":3}' },
  });
  const lines = yaml.split('\n');
  assert.deepEqual(lines.slice(0, 4), ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: "leakbench-k6"']);
  const data = Object.fromEntries(
    lines
      .slice(lines.indexOf('data:') + 1)
      .filter(Boolean)
      .map((l) => {
        const m = /^ {2}("[^"]+"): (".*")$/.exec(l)!;
        return [JSON.parse(m[1]!) as string, JSON.parse(m[2]!) as string];
      }),
  );
  assert.deepEqual(data, { 'idle.js': js, 'idle.js.map': '{"version":3}' });
  assert.throws(
    () => configMapYaml({ name: 'Bad_Name', files: {} }),
    /--name: "Bad_Name" is not a valid Kubernetes object name/,
  );
  await assert.rejects(
    k6ConfigMapCommand(['--dist', join(dist, 'nope')], {
      out: () => {},
      err: () => {},
      signal: new AbortController().signal,
    }),
    /run npm run build:k6 first/,
  );
});
