/**
 * The runtimes' own heap figures, with no metrics library in the target and no change to its
 * code: a Go net/http server (gctrace; pprof where it mounts it) and a Python http.server (the
 * pack's startup hook), each leaking per request and not, started by `run soak --cmd`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGrowthKind } from '../../src/analyse/diagnosis.ts';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type Sample } from '../../src/rundir/schema.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { ensureGoBinary } from '../helpers/go-fixture.ts';
import { soakServer } from '../helpers/soak.ts';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../../src/target/free-port.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { spawn } from 'node:child_process';

const out = mkdtempSync(join(tmpdir(), 'leakbench-runtime-sources-'));
const PY_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py');
let goPlain = '';

before(async () => {
  goPlain = await ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'go-plain'), 'fixture-go-plain', 'go-plain');
});

const samplesOf = (dir: string): Sample[] => readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples).records;

test('Go net/http without client_golang or pprof, 8 KiB kept per request: go-heap-growth from gctrace', async () => {
  const s = await soakServer({
    out,
    name: 'go-plain-leak',
    command: (p) => `${goPlain} -leak-kib 8 -addr 127.0.0.1:${p}`,
    requests: 20_000,
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(s.verdict.kind, 'go-heap-growth', s.text);
  assert.match(s.text, /Go live heap is read from Go live heap \(gctrace\)/);
  assert.match(s.text, /Runtime source pprof: .*(answered 404|is not a Go heap profile)/);
  const samples = samplesOf(s.dir);
  const live = samples.filter((x) => x.gcTraceLive !== undefined).at(-1)!.gcTraceLive!;
  // 20,000 × 8 KiB = 156 MiB kept by the end. Without pprof nothing collects at rest, so the
  // last figure is the last GC's in the burst: at GOGC=100 the next GC comes once the heap
  // doubles, so that one marked at least half of what is kept at the end (gctrace counts whole MiB).
  assert.ok(live > 78 * 2 ** 20 && live < 170 * 2 ** 20, `live ${live}`);
  assert.equal(
    samples.some((x) => x.heapInuse !== undefined),
    false,
    'no /metrics figure is invented',
  );
  // gctrace's lines are kept apart from the target's own output, which stays whole.
  const log = readFileSync(join(s.dir, FILES.targetLog), 'utf8');
  const runtimeLog = readFileSync(join(s.dir, FILES.runtimeLog), 'utf8');
  assert.match(log, /listening on 127\.0\.0\.1:/);
  assert.match(runtimeLog, /^gc \d+ @/m);
  assert.doesNotMatch(runtimeLog, /listening on/);
  // After its start-up, no gctrace line reaches target.log.
  const afterStart = log.split('\n').filter((l) => /^gc \d+ @/.test(l));
  assert.ok(afterStart.length < 5, `gctrace lines in target.log: ${afterStart.length}`);
});

test('Go net/http with pprof, keeping nothing: not growth; collections at rest through pprof gc=1', async () => {
  const s = await soakServer({
    out,
    name: 'go-plain-flat',
    command: (p) => `${goPlain} -pprof -garbage-kib 16 -addr 127.0.0.1:${p}`,
    requests: 20_000,
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(isGrowthKind(s.verdict.kind), false, s.text);
  const samples = samplesOf(s.dir);
  assert.ok(samples.some((x) => x.pprofInuseBytes !== undefined));
  const collected = samples.filter((x) => x.collectedBy === 'pprof');
  // At the end of idle-before (the first rest) and of idle-after (after the burst).
  assert.equal(collected.length, 2, JSON.stringify(collected));
  const burst = s.run.phases.find((p) => p.kind === 'burst')!;
  for (const c of collected) assert.ok(c.t < burst.startT! || c.t > burst.endT!, `collected during the burst: ${c.t}`);
  const events = readFileSync(join(s.dir, FILES.events), 'utf8');
  assert.match(events, /asked the runtime for a full collection at rest \(pprof\)/);
  assert.deepEqual(
    s.run.target.runtimeSources?.map((r) => [r.origin, r.opened]),
    [
      ['gctrace', true],
      ['pprof', true],
    ],
  );
});

test('Python http.server, 8 KiB kept per request: heap-growth carried by tracemalloc', async () => {
  const s = await soakServer({
    out,
    name: 'py-plain-leak',
    command: (p) => `python3 ${PY_SERVER} --leak-kib 8 --port ${p}`,
    requests: 3000,
    // tracemalloc only when asked: its cost (docs/allocation-sites.md).
    extra: ['--sites', 'on'],
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(s.verdict.kind, 'heap-growth', s.text);
  assert.match(s.text, /Python traced heap \(tracemalloc\)/);
  const samples = samplesOf(s.dir);
  const traced = samples.at(-1)!.pyTracedBytes!;
  assert.ok(traced > 3000 * 8192 * 0.9, `traced ${traced}`);
  assert.ok(samples.some((x) => x.collectedBy === 'python-hook'));
});

test('Python http.server keeping nothing: not growth', async () => {
  const s = await soakServer({
    out,
    name: 'py-plain-flat',
    command: (p) => `python3 ${PY_SERVER} --port ${p}`,
    requests: 3000,
    extra: ['--sites', 'on'],
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(isGrowthKind(s.verdict.kind), false, s.text);
  assert.ok(samplesOf(s.dir).some((x) => x.pyTracedBytes !== undefined));
});

test('Go net/http with pprof attached by --pid, 8 KiB kept per request: go-heap-growth from pprof alone', async () => {
  const port = await freePort();
  const server = spawn(goPlain, ['-pprof', '-leak-kib', '8', '-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const name = 'go-plain-attach';
    const r = await runCli([
      'run',
      'soak',
      '--url',
      `http://127.0.0.1:${port}`,
      '--pid',
      String(server.pid),
      '--requests',
      '20000',
      '--connections',
      '20',
      '--idle-before',
      '2s',
      '--idle-after',
      '3s',
      '--rate',
      '5',
      '--sample-interval',
      '200ms',
      '--settle',
      '0s',
      '--out',
      out,
      '--name',
      name,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, name, FILES.summary), 'utf8')) as SummaryFile;
    const v = summary.diagnosis!.verdict;
    const text = [v.kind, v.summary, ...v.evidence, ...v.caveats].join('\n');
    assert.equal(v.kind, 'go-heap-growth', text);
    assert.match(text, /Go heap in use is read from Go heap in use at the last GC \(pprof\)/);
    assert.match(text, /Runtime source gctrace: .*not available for --pid/);
    const samples = samplesOf(join(out, name));
    assert.ok(samples.some((x) => x.collectedBy === 'pprof'));
    assert.equal(
      samples.some((x) => x.gcTraceLive !== undefined),
      false,
    );
  } finally {
    server.kill('SIGKILL');
  }
});
