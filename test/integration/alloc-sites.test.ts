/**
 * Where the retained memory was allocated (issue 24), against real servers the test starts with
 * `run soak --cmd`: a Go net/http server with net/http/pprof that keeps 4 KiB a request in one
 * function and makes 64 KiB of garbage a request in another (test/fixtures/go-plain), and a
 * Python http.server doing the same (test/fixtures/python-plain). The keeping
 * function comes first, its bytes per 1,000 requests within 25% of what it keeps, the garbage
 * nowhere above it; without pprof, or with --sites off for Python, the report says why. Node.js
 * (sampling heap profiler) and a JVM (class histogram) through the run on test/fixtures/alloc-sites.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SitesSeries } from '../../src/analyse/alloc-sites.ts';
import { FILES } from '../../src/rundir/schema.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { ensureGoBinary } from '../helpers/go-fixture.ts';
import { soakServer } from '../helpers/soak.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-alloc-sites-'));
const PY_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py');
const KEPT_PER_1K = 4 * 1024 * 1000;
let goPlain = '';

before(async () => {
  goPlain = await ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'go-plain'), 'fixture-go-plain', 'go-plain');
});

/** The line of the fixture's source that holds `text`, 1-based. */
function lineOf(file: string, text: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1
  );
}

function assertKeeperFirst(series: SitesSeries, keeper: RegExp, garbage: RegExp): void {
  const d = series.diffs.at(-1)!;
  const first = d.sites[0]!;
  assert.match(first.site, keeper, JSON.stringify(d.sites.slice(0, 3)));
  assert.ok(
    Math.abs(first.bytesPer1k! - KEPT_PER_1K) <= 0.25 * KEPT_PER_1K,
    `${first.bytesPer1k} B per 1,000 requests, kept ${KEPT_PER_1K}`,
  );
  assert.ok(first.share! > 0.8, `share ${first.share}`);
  const g = d.sites.findIndex((s) => garbage.test(s.site));
  assert.ok(g === -1 || d.sites[g]!.bytes < 0.05 * first.bytes, JSON.stringify(d.sites[g]));
}

test('Go with net/http/pprof: keepPerRequest first, 4 KiB per request within 25%, makeGarbage not above it', async () => {
  const s = await soakServer({
    out,
    name: 'go-sites',
    command: (p) => `${goPlain} -pprof -leak-kib 4 -garbage-kib 64 -addr 127.0.0.1:${p}`,
    requests: 20_000,
    extra: ['--bursts', '2'],
  });
  assert.equal(s.r.code, 0, s.text);
  const series = s.summary.allocationSites!.series.find((x) => x.origin === 'pprof-heap')!;
  assert.deepEqual(
    series.taken.map((t) => t.label),
    ['idle-before', 'rest-1', 'idle-after'],
  );
  assert.deepEqual(
    series.diffs.map((d) => [d.from, d.to]),
    [
      ['idle-before', 'rest-1'],
      ['idle-before', 'idle-after'],
    ],
  );
  const line = lineOf(join(REPO_ROOT, 'test', 'fixtures', 'go-plain', 'main.go'), 'b := make([]byte, n)');
  assertKeeperFirst(series, new RegExp(`^main\\.keepPerRequest \\(main\\.go:${line}\\)$`), /makeGarbage/);
  // The raw profiles are in the run directory, listed in run.json with the tool that opens them.
  assert.equal(s.run.allocationProfiles?.length, 3);
  for (const a of s.run.allocationProfiles!) assert.ok(existsSync(join(s.dir, a.file)), a.file);
  assert.match(
    series.diffCommand!,
    /^go tool pprof .*-diff_base sites\/01-idle-before\.pb\.gz sites\/03-idle-after\.pb\.gz$/,
  );
  const md = readFileSync(join(s.dir, FILES.summaryMd), 'utf8');
  assert.match(md, /## Where the retained memory was allocated[\s\S]*\| 1 \| main\.keepPerRequest \(main\.go:\d+\) \|/);
  assert.ok(existsSync(join(s.dir, 'sites.png')));
  // The verdict names the site too.
  assert.equal(s.verdict.kind, 'go-heap-growth', s.text);
  assert.match(
    s.text,
    /Most of what the heap kept from idle-before to idle-after was allocated at main\.keepPerRequest/,
  );
});

test('Go without pprof mounted: no allocation sites, and the report says why', async () => {
  const s = await soakServer({
    out,
    name: 'go-no-pprof',
    command: (p) => `${goPlain} -leak-kib 4 -addr 127.0.0.1:${p}`,
    requests: 5000,
  });
  assert.equal(s.r.code, 0, s.text);
  const missing = s.summary.allocationSites!.missing;
  assert.equal(missing[0]?.source, 'pprof');
  assert.match(missing[0]!.reason, /answered 404|is not a Go heap profile/);
  assert.match(readFileSync(join(s.dir, FILES.summaryMd), 'utf8'), /No allocation sites from:\n\n- pprof: /);
});

test('Python http.server: the keeping line first, 4 KiB per request within 25%, the garbage not above it', async () => {
  const s = await soakServer({
    out,
    name: 'py-sites',
    command: (p) => `python3 ${PY_SERVER} --leak-kib 4 --garbage-kib 64 --port ${p}`,
    requests: 3000,
    extra: ['--sites', 'on'],
  });
  assert.equal(s.r.code, 0, s.text);
  const series = s.summary.allocationSites!.series.find((x) => x.origin === 'tracemalloc')!;
  const line = lineOf(PY_SERVER, 'KEPT.append(');
  assertKeeperFirst(series, new RegExp(`^keep_per_request \\(server\\.py:${line}\\)$`), /make_garbage/);
  assert.match(series.diffCommand!, /compare_to\(a, 'lineno'\).* sites\/01-idle-before\.tracemalloc\.pickle /);
});

test('Python with --sites off: no tracing, no sites, no traced heap figure', async () => {
  const s = await soakServer({
    out,
    name: 'py-no-trace',
    command: (p) => `python3 ${PY_SERVER} --leak-kib 4 --port ${p}`,
    requests: 1000,
    extra: ['--sites', 'off'],
  });
  assert.equal(s.r.code, 0, s.text);
  assert.equal(s.summary.allocationSites?.series.length ?? 0, 0);
  const samples = readFileSync(join(s.dir, FILES.samples), 'utf8');
  assert.doesNotMatch(samples, /pyTracedBytes/);
  assert.match(samples, /pyAllocatedBlocks/, 'the hook still answers, untraced');
});

const SITES_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites');

test('Node.js through the run: the code that keeps the visits ranks above churn(), which makes 16 times as much garbage', async () => {
  const server = join(SITES_FIXTURES, 'server.mjs');
  const s = await soakServer({
    out,
    name: 'node-sites',
    command: (p) => `node ${server} ${p}`,
    requests: 10_000,
    extra: ['--bursts', '2', '--path', '/work'],
  });
  assert.equal(s.r.code, 0, s.text);
  const series = s.summary.allocationSites!.series.find((x) => x.origin === 'inspector-sampling')!;
  assert.ok(series, JSON.stringify(s.summary.allocationSites));
  const sites = series.diffs.at(-1)!.sites;
  // V8 may inline remember() into the request handler that calls it: either names what keeps.
  const keeps = new RegExp(
    `^(remember|\\(anonymous\\)) \\(test/fixtures/alloc-sites/server\\.mjs:(${lineOf(server, 'function remember')}|${lineOf(server, 'const server = createServer')})\\)$`,
  );
  assert.match(sites[0]!.site, keeps, JSON.stringify(sites.slice(0, 4)));
  const kept = sites.filter((x) => keeps.test(x.site)).reduce((a, x) => a + x.bytesPer1k!, 0);
  // Each request keeps a 2 KiB string and a small object: at least 2 KiB per request, sampled every 128 KiB.
  assert.ok(kept >= 0.75 * 2048 * 1000, `kept ${kept} B per 1,000 requests`);
  const churn = sites.find((x) => x.site.startsWith('churn '));
  assert.ok(!churn || churn.bytes < 0.1 * sites[0]!.bytes, JSON.stringify(churn));
  // Shares of the growth of every sampled live byte: what keeps is most of it.
  const share = sites.filter((x) => keeps.test(x.site)).reduce((a, x) => a + x.share!, 0);
  assert.ok(share > 0.6 && share <= 1.01, `share ${share}`);
  assert.match(readFileSync(join(s.dir, FILES.summaryMd), 'utf8'), /\.heapprofile \| .* \| Chrome DevTools/);
});

test('a JVM through the run: SitesServer$Visit first, 8 instances a request, from the class histogram', async () => {
  const server = join(SITES_FIXTURES, 'SitesServer.java');
  const s = await soakServer({
    out,
    name: 'jvm-sites',
    command: (p) => `java ${server} ${p}`,
    requests: 5_000,
    extra: ['--bursts', '2', '--path', '/work'],
  });
  assert.equal(s.r.code, 0, s.text);
  const series = s.summary.allocationSites!.series.find((x) => x.origin === 'class-histogram')!;
  assert.ok(series, JSON.stringify(s.summary.allocationSites));
  const first = series.diffs.at(-1)!.sites[0]!;
  assert.equal(first.site, 'SitesServer$Visit', JSON.stringify(series.diffs.at(-1)!.sites.slice(0, 3)));
  assert.equal(first.objectsPer1k, 8000);
  // Its share of the growth of the histogram's Total line.
  assert.ok(first.share! > 0.5 && first.share! <= 1, `share ${first.share}`);
  assert.ok(
    !series.diffs
      .at(-1)!
      .sites.slice(0, 3)
      .some((x) => x.site === 'SitesServer$Scratch'),
  );
});
