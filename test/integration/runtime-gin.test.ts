/**
 * A Gin server with no metrics library (test/fixtures/gin-plain), the report's kind of server
 * without its Prometheus handler, started by `run soak --cmd`: its Go heap is read from the
 * runtime itself (gctrace on stderr; pprof where it mounts it), with no change to its code.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGrowthKind } from '../../src/analyse/diagnosis.ts';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type Sample } from '../../src/rundir/schema.ts';
import { ensureGinPlainBinary } from '../helpers/go-fixture.ts';
import { soakServer } from '../helpers/soak.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-runtime-gin-'));
let ginPlain = '';

before(async () => {
  ginPlain = await ensureGinPlainBinary();
});

const samplesOf = (dir: string): Sample[] => readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples).records;

test('Gin without /metrics, 8 KiB kept per request: go-heap-growth from gctrace', async () => {
  const s = await soakServer({
    out,
    name: 'gin-plain-leak',
    command: (p) => `${ginPlain} -leak-kib 8 -addr 127.0.0.1:${p}`,
    requests: 20_000,
    // The soak's default path is /health_check, which keeps and makes nothing.
    extra: ['--path', '/'],
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(s.verdict.kind, 'go-heap-growth', s.text);
  assert.match(s.text, /Go live heap is read from Go live heap \(gctrace\)/);
  const samples = samplesOf(s.dir);
  assert.equal(
    samples.some((x) => x.heapInuse !== undefined || x.liveHeap !== undefined),
    false,
    'no /metrics figure: the server has none',
  );
  const live = samples.filter((x) => x.gcTraceLive !== undefined).at(-1)!.gcTraceLive!;
  // 20,000 × 8 KiB = 156 MiB kept by the end; the last collection (in the burst, nothing asks
  // for one at rest without pprof) marked at least half of it at GOGC=100.
  assert.ok(live > 78 * 2 ** 20 && live < 170 * 2 ** 20, `live ${live}`);
});

test('Gin without /metrics keeping nothing, with pprof: not growth; collections at rest through pprof gc=1', async () => {
  const s = await soakServer({
    out,
    name: 'gin-plain-flat',
    command: (p) => `${ginPlain} -pprof -garbage-kib 16 -addr 127.0.0.1:${p}`,
    requests: 20_000,
    // The soak's default path is /health_check, which keeps and makes nothing.
    extra: ['--path', '/'],
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(isGrowthKind(s.verdict.kind), false, s.text);
  const samples = samplesOf(s.dir);
  assert.ok(samples.some((x) => x.gcTraceLive !== undefined));
  assert.ok(samples.some((x) => x.pprofInuseBytes !== undefined));
  const collected = samples.filter((x) => x.collectedBy === 'pprof');
  // At the end of idle-before (the first rest) and of idle-after (after the burst), never in it.
  assert.equal(collected.length, 2, JSON.stringify(collected));
  const burst = s.run.phases.find((p) => p.kind === 'burst')!;
  for (const c of collected) assert.ok(c.t < burst.startT! || c.t > burst.endT!, `collected during the burst: ${c.t}`);
  const events = readFileSync(join(s.dir, FILES.events), 'utf8');
  assert.equal(events.match(/asked the runtime for a full collection at rest \(pprof\)/g)?.length, 2, events);
});
