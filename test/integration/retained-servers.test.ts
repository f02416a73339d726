/**
 * Retained per unit of work against real Go servers (test/fixtures/go-servers) whose memory is
 * known by construction: the soak runs the same burst twice, each followed by a rest. A leak
 * retains about the same again (its figure per 1,000 requests within 25% of what the server
 * keeps), a cache full early or late in the first burst nothing more (bounded, and
 * --fail-on growth passes), a server that makes garbage and keeps nothing retains nothing.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { ensureFixtureBinary, type FixtureMode } from '../helpers/go-fixture.ts';
import { retainedLine, soakBursts } from '../helpers/soak.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-retained-'));
let fixture = '';
const REQUESTS = 40_000;
const KiB = 1024;

before(async () => {
  fixture = await ensureFixtureBinary();
});

async function soak(mode: FixtureMode, flags: string, name: string, extra: string[] = []) {
  return soakCommand((port) => `${fixture} -mode ${mode} -addr 127.0.0.1:${port} ${flags}`, name, extra);
}

const nodeServer = (mode: string, flags: string) => (port: number) =>
  `${JSON.stringify(process.execPath)} ${join(REPO_ROOT, 'test', 'fixtures', 'node-servers', 'server.mjs')} --mode ${mode} --port ${port} ${flags}`;

async function soakCommand(command: (port: number) => string, name: string, extra: string[] = [], requests = REQUESTS) {
  return soakBursts({ out, name, command, requests, extra });
}

test('a Go leak of 4 KiB per request: go-heap-growth, retained per 1,000 requests within 25% of 4,000 KiB', async (t) => {
  // With its heap profile served, the pack asks for a collection at each rest (pprof ?gc=1), so the
  // live heap there is what the bursts kept, not the live heap at the burst's last collection.
  const { r, d } = await soak('heap-leak', '-leak-kib 4 -garbage-kib 4 -pprof-heap', 'go-leak');
  t.diagnostic(retainedLine(d));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(d.verdict.kind, 'go-heap-growth', d.verdict.evidence.join('\n'));
  const live = d.retained!.figures.find((f) => f.role === 'live-heap')!;
  assert.equal(live.shape, 'leak');
  const built = 4 * KiB * 1000;
  assert.ok(
    Math.abs(live.per1k - built) <= 0.25 * built,
    `retained ${live.per1k} B per 1,000 requests, built ${built}`,
  );
});

for (const [what, flags] of [
  // Heap profile served, as in the leak test: the rests are read after a collection the pack asks for.
  // Without it, a cache filling to the end of the first burst's last collection read as a warm-up
  // (the second burst added the rest), which two bursts cannot decide (seen in a fresh-clone CI).
  ['full within the first 5% of the first burst', '-cache-entries 2000 -leak-kib 8 -garbage-kib 4 -pprof-heap'],
  ['full halfway through the first burst', '-cache-entries 20000 -leak-kib 2 -garbage-kib 4 -pprof-heap'],
] as const) {
  test(`a Go cache ${what}: bounded (plateau), and --fail-on growth passes`, async (t) => {
    const { r, d } = await soak('cache', flags, `go-cache-${flags.split(' ')[1]}`, ['--fail-on', 'growth']);
    t.diagnostic(retainedLine(d));
    assert.equal(r.code, 0, `${d.verdict.kind}: ${d.verdict.summary}\n${r.stderr}`);
    assert.equal(d.verdict.kind, 'plateau', d.verdict.evidence.join('\n'));
    assert.equal(d.retained!.figures.find((f) => f.role === 'live-heap')!.shape, 'bounded');
  });
}

test('a Go server that makes 64 KiB of garbage a request and keeps nothing: no growth', async (t) => {
  const { r, d } = await soak('flat', '-garbage-kib 64', 'go-garbage', ['--fail-on', 'growth']);
  t.diagnostic(retainedLine(d));
  assert.equal(r.code, 0, `${d.verdict.kind}: ${d.verdict.summary}\n${r.stderr}`);
  assert.ok(['stable', 'high-water-held'].includes(d.verdict.kind), d.verdict.evidence.join('\n'));
});

test('a Node.js leak of 4 KiB of strings per request: heap-growth, V8 heap used at rest within 25% of 4,000 KiB per 1,000 requests', async (t) => {
  const { r, d } = await soakCommand(nodeServer('heap-leak', '--leak-kib 4'), 'node-leak', [], 20_000);
  t.diagnostic(retainedLine(d));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(d.verdict.kind, 'heap-growth', d.verdict.evidence.join('\n'));
  const heap = d.retained!.figures.find((f) => f.key === 'v8HeapUsed')!;
  assert.equal(heap.shape, 'leak');
  const built = 4 * KiB * 1000;
  assert.ok(
    Math.abs(heap.per1k - built) <= 0.25 * built,
    `retained ${heap.per1k} B per 1,000 requests, built ${built}`,
  );
});

test('a Node.js cache full within the first tenth of the first burst: not growth, --fail-on growth passes', async (t) => {
  const { r, d } = await soakCommand(
    nodeServer('cache', '--cache-entries 2000 --leak-kib 8'),
    'node-cache',
    ['--fail-on', 'growth'],
    20_000,
  );
  t.diagnostic(retainedLine(d));
  assert.equal(r.code, 0, `${d.verdict.kind}: ${d.verdict.summary}\n${r.stderr}`);
  // Read after the collection the pack asks for, V8 heap used keeps +1.7 MiB, not 16 MiB: the
  // cache's padEnd strings share their filler. Plateau or stable, never growth.
  assert.ok(['plateau', 'stable', 'high-water-held'].includes(d.verdict.kind), d.verdict.evidence.join('\n'));
});
