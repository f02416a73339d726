/**
 * Verdicts against Go servers with a known memory behaviour (test/fixtures/go-servers), the
 * bundled server in both builds, and a pod-style memory limit with OOM kills and restarts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type RunEvent, type RunFile } from '../../src/rundir/schema.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { ensureFixtureBinary, type FixtureMode } from '../helpers/go-fixture.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { COMPARE_SCHEMA } from '../../src/report/compare.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-diag-'));
let fixture = '';
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;
const verdictOf = (dir: string) => readJson<SummaryFile>(join(dir, FILES.summary)).diagnosis?.verdict.kind;

before(async () => {
  fixture = await ensureFixtureBinary();
  await ensureBundledBinary('plain', () => {});
  await ensureBundledBinary('race', () => {});
});

/** A small soak: idle probes, a burst, idle probes again, with 200 ms samples. */
const SOAK = [
  '--idle-before',
  '3s',
  '--idle-after',
  '4s',
  '--rate',
  '5',
  '--sample-interval',
  '200ms',
  '--settle',
  '0s',
];

/** Bursts are sized to last a few seconds, so the verdict has samples under load to fit. */
async function soakFixture(
  mode: FixtureMode,
  requests: number,
  opts: { name?: string; flags?: string; extra?: string[] } = {},
) {
  const port = await freePort();
  const name = opts.name ?? `fixture-${mode}`;
  const r = await runCli([
    'run',
    'soak',
    '--cmd',
    `${fixture} -mode ${mode} -addr 127.0.0.1:${port} ${opts.flags ?? ''}`,
    '--url',
    `http://127.0.0.1:${port}`,
    '--requests',
    String(requests),
    '--connections',
    '20',
    ...SOAK,
    '--out',
    out,
    '--name',
    name,
    ...(opts.extra ?? []),
  ]);
  return { r, dir: join(out, name) };
}

test('a Go heap leak is called go-heap-growth, with the pprof diff command', async () => {
  const { r, dir } = await soakFixture('heap-leak', 60_000, { flags: '-leak-kib 4' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(verdictOf(dir), 'go-heap-growth');
  const run = readJson<RunFile>(join(dir, FILES.run));
  assert.ok((run.heapProfiles?.length ?? 0) === 0, 'the fixture has no /debug/pprof: no profiles claimed');
  assert.ok((run.smapsSnapshots?.length ?? 0) >= 4, 'smaps at start, after each phase, end');
  for (const s of run.smapsSnapshots ?? []) assert.ok(existsSync(join(dir, s.file)));
});

test('a goroutine leak is called goroutine-growth', async () => {
  // Parking a goroutine is cheap, so two connections keep the burst long enough to sample.
  const { r, dir } = await soakFixture('goroutine-leak', 40_000, { extra: ['--connections', '2'] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(verdictOf(dir), 'goroutine-growth');
});

test('a server that allocates in bursts but keeps nothing is not called a leak', async () => {
  const { r, dir } = await soakFixture('bursty', 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(['stable', 'high-water-held'].includes(verdictOf(dir) ?? ''), `verdict ${verdictOf(dir)}`);
});

test('--fail-on growth: exit 4 on a leak, 0 on a flat server', async () => {
  const leak = await soakFixture('heap-leak', 60_000, {
    flags: '-leak-kib 4',
    name: 'failon-leak',
    extra: ['--fail-on', 'growth'],
  });
  assert.equal(leak.r.code, 4, leak.r.stderr);
  const flat = await soakFixture('flat', 60_000, { name: 'failon-flat', extra: ['--fail-on', 'growth'] });
  assert.equal(flat.r.code, 0, flat.r.stderr);
});

test('the bundled server: race grows outside the Go runtime (golang/go#63276), plain is stable', async () => {
  const r = await runCli([
    'compare',
    'soak',
    '--requests',
    '60000',
    '--connections',
    '50',
    ...SOAK,
    '--out',
    out,
    '--name',
    'cmp',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const cmp = readJson<{ schema: string; runs: { label: string; verdict: string; evidence: string }[] }>(
    join(out, 'cmp', 'compare.json'),
  );
  assert.equal(cmp.schema, COMPARE_SCHEMA);
  const by = Object.fromEntries(cmp.runs.map((x) => [x.label, x]));
  assert.equal(by.race?.verdict, 'growth-outside-go-runtime');
  assert.match(by.race?.evidence ?? '', /63276/);
  assert.equal(by.plain?.verdict, 'stable');
  for (const f of ['rss.png', 'heap-vs-rss.png', 'index.html', 'compare.md'])
    assert.ok(existsSync(join(out, 'cmp', f)), f);
  const before = readFileSync(join(out, 'cmp', 'compare.json'), 'utf8');
  const again = await runCli(['report', join(out, 'cmp')]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    readFileSync(join(out, 'cmp', 'compare.json'), 'utf8'),
    before,
    'npm run report re-renders a comparison the same',
  );
  const race = readJson<RunFile>(join(out, 'cmp', 'race', FILES.run));
  assert.ok((race.heapProfiles?.length ?? 0) >= 2, 'heap profiles at start and end from /debug/pprof');
});

test('--memory-limit: the target is OOM-killed like a pod, --restart brings it back, the run goes on', async () => {
  const port = await freePort();
  // Probes, not a burst: a burst would spend all its requests on refused connections in the
  // milliseconds a restart takes, while probes keep coming at their pace, as a kubelet's do.
  const r = await runCli([
    'run',
    'idle',
    '--cmd',
    `${fixture} -mode hog -hog-mib 4 -addr 127.0.0.1:${port}`,
    '--url',
    `http://127.0.0.1:${port}`,
    '--memory-limit',
    '48Mi',
    '--restart',
    '--max-restarts',
    '2',
    '--rate',
    '20',
    '--duration',
    '8s',
    '--probe-timeout',
    '500ms',
    '--sample-interval',
    '100ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'oom',
  ]);
  const dir = join(out, 'oom');
  const { records: events } = readNdjson<RunEvent>(join(dir, FILES.events), SCHEMA.events);
  const exits = events.filter((e) => e.type === 'target-exit');
  assert.ok(exits.length >= 1, `no target-exit event: ${r.stderr}`);
  assert.ok(
    exits.every((e) => e.oomKill === true),
    JSON.stringify(exits),
  );
  assert.ok(
    events.some((e) => e.type === 'target-start' && /restart 1/.test(e.message ?? '')),
    'restarted',
  );
  const run = readJson<RunFile>(join(dir, FILES.run));
  for (const e of exits) assert.ok(e.pid && !processAlive(e.pid));
  assert.ok(run.target.pid && !processAlive(run.target.pid));
  // Three lives of 48 MiB at 4 MiB a probe cannot last 160 probes: the third death ends the run.
  assert.equal(exits.length, 3);
  assert.equal(r.code, 1);
  assert.equal(run.status, 'failed');
  assert.match(run.endReason ?? '', /OOM-killed .* after 2 restarts/);
});
