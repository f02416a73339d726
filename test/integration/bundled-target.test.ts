/**
 * End to end against the real Gin server from targets/, built with Go in both variants, driven
 * through the real CLI. Sizes are cut down from the report's (1M requests, 10m idle) to keep
 * the suite to a couple of minutes.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '@napi-rs/canvas';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { FILES, SCHEMA, type Probe, type RunFile, type Sample } from '../../src/rundir/schema.ts';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-it-'));
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;

before(async () => {
  // Build once up front (about 25 s for -race on 2 cores) so test timings are the runs' own.
  await ensureBundledBinary('plain', () => {});
  await ensureBundledBinary('race', () => {});
});

async function pngSize(path: string) {
  const img = await loadImage(readFileSync(path));
  return { width: img.width, height: img.height };
}

test('burst against the plain build: exact counts, memory figures, charts, re-render', async () => {
  const requests = 30_000;
  const r = await runCli([
    'run',
    'burst',
    '--variant',
    'plain',
    '--requests',
    String(requests),
    '--connections',
    '50',
    '--sample-interval',
    '200ms',
    '--settle',
    '1s',
    '--out',
    out,
    '--name',
    'burst-plain',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'burst-plain');
  const run = readJson<RunFile>(join(dir, FILES.run));
  assert.equal(run.schema, SCHEMA.run);
  assert.equal(run.status, 'completed');
  assert.equal(run.target.variant, 'plain');
  assert.ok(run.versions.go?.startsWith('go1.'));

  const summary = readJson<SummaryFile>(join(dir, FILES.summary));
  const load = summary.load[0]!;
  assert.equal(load.requested, requests);
  assert.equal(load.sent, requests);
  assert.equal(load.completed, requests);
  assert.equal(load.errors, 0);
  assert.equal(load.non2xx, 0);
  assert.deepEqual(load.statusCodes, { '200': requests });
  assert.ok(load.latency && load.latency.p99 >= load.latency.p50);

  const { records: timeline } = readNdjson<{ completed: number; errors: number }>(join(dir, FILES.load), SCHEMA.load);
  assert.equal(
    timeline.reduce((s, x) => s + x.completed, 0),
    requests,
    'per-second timeline adds up to the total',
  );

  const { records: samples } = readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples);
  assert.ok(samples.length >= 5, `only ${samples.length} samples`);
  for (const s of samples) {
    assert.ok(s.vmRss! > 1_000_000, 'RSS present and plausible');
    assert.ok(s.heapInuse! > 100_000, 'Go heap in use present');
    assert.ok(s.goroutines! >= 1);
  }
  assert.ok(
    samples.some((s) => (s.pss ?? 0) > 0),
    'PSS from smaps_rollup',
  );

  assert.deepEqual(await pngSize(join(dir, FILES.memoryPng)), { width: 1200, height: 700 });
  assert.deepEqual(await pngSize(join(dir, FILES.loadPng)), { width: 1200, height: 500 });
  const html = readFileSync(join(dir, FILES.html), 'utf8');
  assert.match(html, /data:image\/png;base64,/);
  assert.match(readFileSync(join(dir, FILES.summaryMd), 'utf8'), /30,000|30000/);

  const before = readFileSync(join(dir, FILES.summary), 'utf8');
  const again = await runCli(['report', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(dir, FILES.summary), 'utf8'), before, 'npm run report gives the same summary');

  // The pack stopped the server it started.
  assert.ok(run.target.pid && !processAlive(run.target.pid), 'target still running after the run');
});

test('--engine autocannon: the API engine counts exactly against the bundled server too', async () => {
  const requests = 20_000;
  const r = await runCli([
    'run',
    'burst',
    '--variant',
    'plain',
    '--engine',
    'autocannon',
    '--requests',
    String(requests),
    '--connections',
    '50',
    '--sample-interval',
    '200ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'burst-plain-autocannon',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = readJson<SummaryFile>(join(out, 'burst-plain-autocannon', FILES.summary));
  const load = summary.load[0]!;
  assert.equal(load.sent, requests);
  assert.equal(load.completed, requests);
  assert.deepEqual(load.statusCodes, { '200': requests });
  assert.deepEqual(
    summary.warnings.filter((w) => w.startsWith('burst ')),
    [],
    'no word about the count',
  );
  assert.equal(
    (readJson<RunFile>(join(out, 'burst-plain-autocannon', FILES.run)).options as { engine: string }).engine,
    'autocannon',
  );
});

test('idle against the race build: every probe on schedule, new connection each, recorded', async () => {
  const r = await runCli([
    'run',
    'idle',
    '--duration',
    '3s',
    '--rate',
    '10',
    '--sample-interval',
    '250ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'idle-race',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'idle-race');
  const { records: probes } = readNdjson<Probe>(join(dir, FILES.probes), SCHEMA.probes);
  assert.equal(probes.length, 30);
  assert.deepEqual(
    probes.map((p) => p.seq).sort((a, b) => a - b),
    [...Array(30).keys()],
  );
  for (const p of probes) {
    assert.equal(p.status, 200);
    assert.ok(p.latencyMs! > 0 && p.latencyMs! < 1000);
    assert.ok(p.sentT >= p.scheduledT, 'never early');
    assert.ok(
      p.sentT - p.scheduledT < 0.1,
      `probe ${p.seq} sent ${((p.sentT - p.scheduledT) * 1000).toFixed(1)} ms late`,
    );
  }
  // One probe in 30 may be held up by the machine (51.7 ms once, in a fresh-clone CI with every
  // lane of npm test busy on 2 cores); a pacer that drifts makes many late.
  const late = probes.filter((p) => p.sentT - p.scheduledT >= 0.05);
  assert.ok(late.length <= 1, `${late.length} probes sent 50 ms late or more: ${late.map((p) => p.seq).join(', ')}`);
  const gaps = probes
    .sort((a, b) => a.seq - b.seq)
    .slice(1)
    .map((p, i) => p.scheduledT - probes[i]!.scheduledT);
  for (const g of gaps) assert.ok(Math.abs(g - 0.1) < 0.002, `schedule gap ${g}`);
  const summary = readJson<SummaryFile>(join(dir, FILES.summary));
  assert.equal(summary.load[0]!.sent, 30);
  assert.equal(summary.load[0]!.completed, 30);
  assert.ok(summary.load[0]!.pacing);
  const run = readJson<RunFile>(join(dir, FILES.run));
  assert.equal(run.target.variant, 'race');
  assert.ok(run.target.buildFlags?.includes('-race'));
});

test('--cmd through a shell: the server (not the shell) is sampled, and the whole group is stopped', async () => {
  const bin = (await ensureBundledBinary('plain', () => {})).path;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const r = await runCli([
    'run',
    'burst',
    '--cmd',
    `cd / && ${bin} -addr 127.0.0.1:${port}`,
    '--url',
    `http://127.0.0.1:${port}`,
    '--requests',
    '2000',
    '--connections',
    '10',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'cmd-shell',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const run = readJson<RunFile>(join(out, 'cmd-shell', FILES.run));
  assert.equal(run.target.kind, 'command');
  assert.match(readFileSync(`/proc/self/status`, 'utf8'), /VmRSS/); // sanity: /proc is there
  assert.ok(run.target.pid);
  assert.ok(!processAlive(run.target.pid!), 'server outlived the run');
  assert.match(r.stderr, /found runtime metrics/);
  const { records } = readNdjson<Sample>(join(out, 'cmd-shell', FILES.samples), SCHEMA.samples);
  assert.ok(
    records.some((s) => s.heapInuse !== undefined),
    'metrics auto-detected at /metrics',
  );
  // A shell is a few hundred KB; the Go server is several MB.
  assert.ok(
    records.every((s) => (s.vmRss ?? 0) > 4 * 1048576),
    'sampled the shell instead of the server',
  );
});

test('--cmd that exits before answering: clear error, exit 1, its output quoted', async () => {
  const r = await runCli([
    'run',
    'idle',
    '--cmd',
    'echo boom >&2; exit 3',
    '--url',
    'http://127.0.0.1:9/',
    '--duration',
    '2s',
    '--out',
    out,
    '--name',
    'cmd-dies',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /exited with code 3 before answering/);
  assert.match(r.stderr, /boom/);
  const run = readJson<RunFile>(join(out, 'cmd-dies', FILES.run));
  assert.equal(run.status, 'failed');
});

test('attach with --pid and --metrics-url never stops the server', async () => {
  const { spawn } = await import('node:child_process');
  const bin = (await ensureBundledBinary('plain', () => {})).path;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(bin, ['-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const r = await runCli([
      'run',
      'burst',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--pid',
      String(server.pid),
      '--metrics-url',
      `http://127.0.0.1:${port}/metrics`,
      '--requests',
      '1000',
      '--connections',
      '5',
      '--settle',
      '0s',
      '--out',
      out,
      '--name',
      'attach',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(processAlive(server.pid!), 'the pack stopped a process it did not start');
    const summary = readJson<SummaryFile>(join(out, 'attach', FILES.summary));
    assert.equal(summary.load[0]!.completed, 1000);
  } finally {
    server.kill('SIGKILL');
  }
});

test('bad input: one line naming the flag, exit 2, no run directory', async () => {
  const before = readdirSync(out).length;
  const unknown = await runCli(['run', 'burst', '--requets', '5', '--out', out]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim(), 'leakbench: --requets: unknown flag (see --help)');
  const pid = await runCli(['run', 'burst', '--url', 'http://127.0.0.1:9/', '--pid', '4000000', '--out', out]);
  assert.equal(pid.code, 2);
  assert.match(pid.stderr, /^leakbench: --pid: 4000000 is not a process/);
  const kthread = await runCli(['run', 'burst', '--url', 'http://127.0.0.1:9/', '--pid', '2', '--out', out]);
  assert.equal(kthread.code, 2);
  assert.match(
    kthread.stderr,
    /^leakbench: --pid: 2 is not a process this user can read: process 2 is a kernel thread/,
  );
  const self = await runCli([
    'run',
    'burst',
    '--url',
    'http://127.0.0.1:9/',
    '--pid',
    String(process.pid),
    '--out',
    out,
  ]);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /is leakbench itself \(or the shell that started it\)/);
  const unreachable = await runCli([
    'run',
    'burst',
    '--url',
    'http://127.0.0.1:9/',
    '--metrics-url',
    'http://127.0.0.1:9/metrics',
    '--out',
    out,
  ]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^leakbench: --url: http:\/\/127\.0\.0\.1:9\/ did not answer \(ECONNREFUSED\)/);
  assert.equal(readdirSync(out).length, before, 'a run directory was created for bad input');
  const missing = await runCli(['report', join(out, 'nope')]);
  assert.equal(missing.code, 2);
  assert.ok(existsSync(out));
});
