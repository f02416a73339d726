/**
 * `npm run report -- --k6`: k6 outputs in k6's documented formats (test/helpers/k6-outputs.ts)
 * into a run directory, one runner and several at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as hdr from 'hdr-histogram-js';
import { k6ImportCommand } from '../../src/commands/k6-import.ts';
import { reportCommand } from '../../src/commands/report.ts';
import { ExitCode, UsageError } from '../../src/errors.ts';
import { importK6 } from '../../src/k6/import.ts';
import { parseCsvTime, parseRfc3339 } from '../../src/k6/time.ts';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { FILES, SCHEMA, type LoadSecond, type RunEvent, type Sample } from '../../src/rundir/schema.ts';
import { NdjsonWriter } from '../../src/rundir/ndjson.ts';
import { k6Csv, k6Json, k6Summary, rfc3339, type FakeRequest } from '../helpers/k6-outputs.ts';
import { tempDir } from '../helpers/synthetic-run.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const idleMeta = {
  schema: 'leakbench.k6-meta/1',
  scenario: 'idle',
  baseUrl: 'http://127.0.0.1:8080',
  maxDurationMs: 3600_000,
  phases: [{ name: 'idle', kind: 'idle', path: '/health_check', rate: 1, durationMs: 5000, timeoutMs: 1000 }],
};
const burstMeta = {
  ...idleMeta,
  scenario: 'burst',
  phases: [{ name: 'burst', kind: 'burst', path: '/health_check', requests: 100, connections: 10, timeoutMs: 10_000 }],
};

function write(dir: string, name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function idleRequests(): FakeRequest[] {
  const probes: FakeRequest[] = [0, 1, 2, 3, 4].map((i) => ({
    atMs: T0 + 1000 * i + 2.5,
    durationMs: 2 + i,
    status: 200,
    scenario: 'idle',
    phaseKind: 'idle',
  }));
  probes[3] = { ...probes[3]!, status: 0, durationMs: 1000, errorCode: '1050' };
  // setup()'s request: no scenario phase, not load.
  return [{ atMs: T0 - 500, durationMs: 3, status: 200, scenario: 'default', group: '::setup' }, ...probes];
}

/** Two runners of one burst, deliberately unlike: 90 fast answers on one, 10 slow on the other. */
function twoRunners(): [FakeRequest[], FakeRequest[]] {
  const a = Array.from({ length: 90 }, (_, i): FakeRequest => ({
    atMs: T0 + i * 15,
    durationMs: 1,
    status: 200,
    scenario: 'burst',
    phaseKind: 'burst',
    instanceId: '0',
  }));
  const b = Array.from({ length: 10 }, (_, i): FakeRequest => ({
    atMs: T0 + 200 + i * 120,
    durationMs: 100,
    status: 200,
    scenario: 'burst',
    phaseKind: 'burst',
    instanceId: '1',
  }));
  return [a, b];
}

test('k6 timestamps: RFC 3339 with nanoseconds and zones, and every CSV time format', () => {
  assert.equal(parseRfc3339('2017-05-09T14:34:45.625742514+02:00'), Date.UTC(2017, 4, 9, 12, 34, 45) + 625.742514);
  assert.equal(parseRfc3339('2021-02-24T13:37:10Z'), Date.UTC(2021, 1, 24, 13, 37, 10));
  assert.equal(parseRfc3339(rfc3339(T0 + 1234.5, -330)), T0 + 1234.5);
  assert.equal(parseCsvTime('1595325560'), 1595325560_000);
  assert.equal(parseCsvTime('1595325560123'), 1595325560123);
  assert.equal(parseCsvTime('1595325560123456'), 1595325560123.456);
  assert.equal(parseCsvTime('1595325560123456789'), 1595325560123.456);
  assert.equal(parseCsvTime('2020-07-21T09:59:20Z'), Date.UTC(2020, 6, 21, 9, 59, 20));
  assert.equal(parseCsvTime('yesterday'), undefined);
});

test('one runner, --out json and its summary: phases, counts, timeouts, setup left out', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const stream = write(dir, 'out.json', k6Json(idleRequests()));
  const summary = write(dir, 'summary.json', JSON.stringify(k6Summary({ requests: 6, failed: 1, meta: idleMeta })));
  const { dir: runDir, run } = await importK6({ inputs: [stream, summary], outDir: tempDir(), name: 'idle' });
  assert.equal(run.scenario, 'idle');
  assert.equal(run.target.url, 'http://127.0.0.1:8080/health_check');
  const p = run.phases[0]!;
  assert.equal(p.kind, 'idle');
  assert.deepEqual(p.params, { path: '/health_check', rate: 1, durationMs: 5000, timeoutMs: 1000 });
  const r = p.result!;
  assert.deepEqual([r.requested, r.sent, r.completed, r.errors, r.timeouts, r.non2xx], [5, 5, 4, 1, 1, 0]);
  assert.deepEqual(r.statusCodes, { '200': 4 });
  assert.equal(r.latency!.max, 6, 'the timeout has no latency; the slowest answer took 6 ms');
  assert.ok(r.histogram);

  const data = readRunDir(runDir);
  assert.equal(
    data.load.reduce((n, l) => n + l.completed, 0),
    4,
  );
  assert.equal(
    data.load.reduce((n, l) => n + l.timeouts, 0),
    1,
  );
  assert.deepEqual(
    data.load.map((l) => l.t),
    [1, 2, 3, 4, 5],
    'one line per second, t at the end of the second',
  );
  const marks = data.events.filter((e) => e.type === 'phase-start' || e.type === 'phase-end').map((e) => [e.type, e.t]);
  assert.deepEqual(marks, [
    ['phase-start', 0.001],
    ['phase-end', 4.003],
  ]);
  assert.deepEqual(run.k6!.summary, {
    files: 1,
    httpReqs: 6,
    failed: 1,
    checks: { passes: 5, fails: 1 },
    thresholdsCrossed: [],
  });
  assert.equal(run.k6!.runners.length, 1);
  assert.deepEqual(
    data.events.filter((e) => e.type === 'warning').map((e) => e.message),
    ['k6 checks: 1 of 6 failed'],
  );
});

test('several runners (k6-operator instance_id, --out csv): counts add, percentiles from merged histograms', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const [a, b] = twoRunners();
  const csv0 = write(dir, 'runner-0.csv', k6Csv(a));
  const csv1 = write(dir, 'runner-1.csv.gz', gzipSync(k6Csv(b, { timeFormat: 'unix_milli' })));
  write(dir, 'runner-0-summary.json', JSON.stringify(k6Summary({ requests: 90, failed: 0, meta: burstMeta }), null, 2));
  write(dir, 'runner-1-summary.json', JSON.stringify(k6Summary({ requests: 10, failed: 0, meta: burstMeta })));
  // A whole directory: both streams, both summaries.
  const { dir: runDir, run } = await importK6({ inputs: [dir], outDir: tempDir(), name: 'burst' });
  assert.deepEqual(
    run.k6!.runners.map((x) => [x.id, x.requests]),
    [
      ['instance 0', 90],
      ['instance 1', 10],
    ],
  );
  assert.equal(run.k6!.files.find((f) => f.path === csv0)?.format, 'csv');
  assert.equal(run.k6!.files.find((f) => f.path === csv1)?.format, 'csv');
  assert.equal(run.k6!.summary!.httpReqs, 100);
  const r = run.phases[0]!.result!;
  assert.deepEqual([r.requested, r.sent, r.completed, r.errors], [100, 100, 100, 0]);
  assert.deepEqual(r.statusCodes, { '200': 100 });
  // The runners' own p99s are 1 ms and 100 ms; an average would say 50.5 ms, the merged histogram 100.
  assert.equal(r.latency!.p50, 1);
  assert.ok(Math.abs(r.latency!.p99 - 100) < 0.2, `p99 ${r.latency!.p99}`);
  assert.ok(Math.abs(r.latency!.mean - 10.9) < 0.1, `mean ${r.latency!.mean}`);
  const h = hdr.decodeFromCompressedBase64(r.histogram!);
  assert.equal(h.totalCount, 100);
  const { records } = readNdjson<LoadSecond>(join(runDir, FILES.load), SCHEMA.load);
  assert.equal(
    records.reduce((n, l) => n + l.completed, 0),
    100,
    'per-second lines add up over runners',
  );
  assert.equal(
    readNdjson<RunEvent>(join(runDir, FILES.events), SCHEMA.events).records.filter((e) => e.type === 'warning').length,
    0,
  );
});

test('k6-operator runner logs (kubectl logs: log lines, the JSON stream, the summary line), gzipped', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const [a, b] = twoRunners();
  const logs = (reqs: FakeRequest[], n: number, crossed: boolean) =>
    [
      `time="2025-03-01T12:00:00Z" level=info msg="k6 runner ${n} starting"`,
      k6Json(reqs, { offsetMin: 0 }).trimEnd(),
      'leakbench k6 burst against http://127.0.0.1:8080: ... (text summary)',
      JSON.stringify(k6Summary({ requests: reqs.length, failed: 0, crossed, meta: burstMeta })),
    ].join('\n') + '\n';
  const f1 = write(dir, 'leakbench-burst-1.log.gz', gzipSync(logs(a, 1, false)));
  const f2 = write(dir, 'leakbench-burst-2.log', logs(b, 2, true));
  const { run } = await importK6({ inputs: [f1, f2], outDir: tempDir(), name: 'logs' });
  assert.equal(run.phases[0]!.result!.completed, 100);
  assert.deepEqual(
    run.k6!.files.map((f) => [f.format, f.summaries, f.skippedLines]),
    [
      ['json', 1, 2],
      ['json', 1, 2],
    ],
  );
  assert.deepEqual(run.k6!.summary!.thresholdsCrossed, [
    `http_req_failed rate<0.01 (${f2})`,
    `checks rate>0.99 (${f2})`,
  ]);
});

test("--samples: the sampler's run joins by wall-clock time; the report renders", async () => {
  const dir = tempDir('leakbench-k6-in-');
  const stream = write(dir, 'out.json', k6Json(idleRequests()));
  const sampleRun = join(dir, 'sample-run');
  mkdirSync(sampleRun);
  // The sampler started 3 s before k6's first probe.
  const w = new NdjsonWriter<Sample>(join(sampleRun, FILES.samples), {
    schema: SCHEMA.samples,
    startedAtMs: T0 - 3000,
  });
  for (let i = 0; i <= 10; i++) w.write({ t: i, vmRss: 20e6 + i * 1e6, heapInuse: 5e6 });
  w.close();
  const ev = new NdjsonWriter<RunEvent>(join(sampleRun, FILES.events), {
    schema: SCHEMA.events,
    startedAtMs: T0 - 3000,
  });
  ev.write({ t: 4, type: 'warning', message: 'metrics http://x: timed out' });
  ev.close();
  const outDir = tempDir();
  const lines: string[] = [];
  const ctx = { out: (s: string) => lines.push(s), err: () => {}, signal: new AbortController().signal };
  const code = await reportCommand(['--k6', stream, '--samples', sampleRun, '--out', outDir, '--name', 'joined'], ctx);
  assert.equal(code, ExitCode.ok);
  const runDir = join(outDir, 'joined');
  const data = readRunDir(runDir);
  assert.equal(data.run.startedAtMs, T0 - 3000, 't = 0 is the earlier of the two');
  assert.deepEqual(data.samples.map((s) => s.t).slice(0, 3), [0, 1, 2]);
  const start = data.events.find((e) => e.type === 'phase-start')!;
  assert.ok(Math.abs(start.t - 3.0005) < 0.01, `phase starts 3 s in, at ${start.t}`);
  assert.ok(data.events.some((e) => e.type === 'warning' && e.message === 'metrics http://x: timed out' && e.t === 4));
  const summary = JSON.parse(readFileSync(join(runDir, FILES.summary), 'utf8')) as SummaryFile;
  assert.equal(summary.memory.find((m) => m.key === 'vmRss')?.samples, 11);
  assert.equal(summary.load[0]?.completed, 4);
  assert.match(lines.join('\n'), /idle: 4\/5 responses/);
});

test('bad input: one line naming --k6, exit code 2', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const [a] = twoRunners();
  const out = tempDir();
  const rejects = async (inputs: string[], re: RegExp) => {
    await assert.rejects(importK6({ inputs, outDir: out }), (err: unknown) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.exitCode, ExitCode.usage);
      assert.match(err.message, re);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  };
  await rejects([join(dir, 'nope.json')], /^--k6: .*nope\.json: no such file or directory$/);
  // The same runner's json and csv outputs would double every count.
  const json = write(dir, 'a.json', k6Json(a));
  const csv = write(dir, 'a.csv', k6Csv(a));
  await rejects([json, csv], /^--k6: instance 0 appears in both .*a\.json and .*a\.csv/);
  await rejects(
    [write(dir, 's.json', JSON.stringify(k6Summary({ requests: 1, failed: 0 })))],
    /^--k6: no requests of any scenario .*the end-of-test summary alone has no timeline/,
  );
  const lines = k6Json(a).split('\n');
  lines.splice(5, 1, '{"metric":"http_req_duration","type":"Point","data":{"time":');
  await rejects([write(dir, 'broken.json', lines.join('\n'))], /^--k6: .*broken\.json:6: not valid JSON$/);
  await rejects([write(dir, 'empty.json', '')], /the file is empty/);
  await rejects([write(dir, 'other.txt', 'hello\nworld\n')], /no k6 results in it/);
  await rejects(
    [write(dir, 'hdr.csv', 'metric_name,foo\n')],
    /a CSV header without metric_name,timestamp,metric_value/,
  );
  const usage = await k6ImportCommand(['--help'], {
    out: () => {},
    err: () => {},
    signal: new AbortController().signal,
  });
  assert.equal(usage, ExitCode.ok);
});

test('a last line cut short by a killed k6 is a warning, not an error', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const [a] = twoRunners();
  const text = k6Json(a) + '{"metric":"http_req_duration","type":"Point","da';
  const { run, dir: runDir } = await importK6({
    inputs: [write(dir, 'cut.json', text)],
    outDir: tempDir(),
    name: 'cut',
  });
  assert.equal(run.phases[0]!.result!.completed, 90);
  const warnings = readNdjson<RunEvent>(join(runDir, FILES.events), SCHEMA.events).records.filter(
    (e) => e.type === 'warning',
  );
  assert.ok(warnings.some((w) => /cut\.json:\d+: last line is cut short/.test(w.message ?? '')));
});

test('--out csv through csv-parse: a quoted field with a comma and a newline; an open quote at the end is a warning', async () => {
  const dir = tempDir('leakbench-k6-in-');
  const [a] = twoRunners();
  const csv = k6Csv(a).trimEnd().split('\n');
  // A used row whose extra_tags are quoted (a tag value with a comma and a newline, as Go's encoding/csv writes it).
  const header = csv[0]!.split(',');
  const row = csv.find((l) => l.startsWith('http_reqs,'))!.split(',');
  row[header.indexOf('extra_tags')] = '"note=a,b\nc"';
  const text = [csv[0], ...csv.slice(1), row.join(','), 'http_reqs,"1740830400'].join('\n');
  const { run, dir: runDir } = await importK6({
    inputs: [write(dir, 'quoted.csv', text)],
    outDir: tempDir(),
    name: 'q',
  });
  // The plain output's points plus the quoted row; the open row at the end is not one.
  const plain = await importK6({ inputs: [write(dir, 'plain.csv', k6Csv(a))], outDir: tempDir(), name: 'p' });
  assert.equal(run.k6!.files[0]!.points, plain.run.k6!.files[0]!.points + 1);
  const warnings = readNdjson<RunEvent>(join(runDir, FILES.events), SCHEMA.events).records.filter(
    (e) => e.type === 'warning',
  );
  assert.ok(
    warnings.some((w) => /quoted\.csv:\d+: last CSV row is cut short/.test(w.message ?? '')),
    JSON.stringify(warnings),
  );
});

test("a script that is not the pack's: every scenario is a phase, kind guessed with a warning", async () => {
  const dir = tempDir('leakbench-k6-in-');
  const reqs: FakeRequest[] = Array.from({ length: 4 }, (_, i) => ({
    atMs: T0 + i * 100,
    durationMs: 5,
    status: i === 0 ? 503 : 200,
    scenario: 'default',
  }));
  const { run } = await importK6({
    inputs: [write(dir, 'plain.csv', k6Csv(reqs, { metadata: false, timeFormat: 'rfc3339_nano' }))],
    outDir: tempDir(),
    name: 'plain',
  });
  assert.equal(run.scenario, 'k6');
  assert.equal(run.phases[0]!.name, 'default');
  assert.equal(run.phases[0]!.kind, 'burst');
  assert.deepEqual(run.phases[0]!.result!.statusCodes, { '200': 3, '503': 1 });
  assert.equal(run.phases[0]!.result!.non2xx, 1);
});
