/**
 * Allocation sites (issue 24): the Go heap profile parser on real profiles of
 * test/fixtures/go-plain (10,000 requests keeping 4 KiB each in keepPerRequest and making
 * 64 KiB of garbage each in makeGarbage; captured with -trimpath, the binary's path reduced to
 * its name), the Python hook's answer, the diff by site, and what the report makes of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { allocationSites, diffSites, requestsBetween, topSiteEvidence } from '../../src/analyse/alloc-sites.ts';
import type { RunData } from '../../src/rundir/read-run.ts';
import { NdjsonWriter } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type SitesRecord, type SitesTaken } from '../../src/rundir/schema.ts';
import { renderReport } from '../../src/report/render.ts';
import { renderStepSummary } from '../../src/report/step-summary.ts';
import { heapProfileSites } from '../../src/sample/runtime/pprof-sites.ts';
import { sitesOfHeapProfile } from '../../src/sample/runtime/pprof-totals.ts';
import { parseHookSites } from '../../src/sample/runtime/python-hook.ts';
import { isUnavailable } from '../../src/sample/runtime/source.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { baseRunFile, KiB, STARTED_AT_MS, writeSyntheticRun } from '../helpers/synthetic-run.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'pprof-sites');
const profile = (name: string) => readFileSync(join(FIXTURES, `go-plain-${name}.pb.gz`));

test('a Go heap profile: in-use bytes by the innermost frame outside the runtime, the keeping line first', () => {
  const before = heapProfileSites(profile('rest-1'));
  const after = heapProfileSites(profile('rest-2'));
  const top = after.sites[0]!;
  assert.equal(top.site, 'main.keepPerRequest (main.go:47)');
  assert.equal(top.kind, 'function');
  // 10,000 requests × 4 KiB, estimated from one sample per 512 KiB on average.
  const kept = 10_000 * 4 * KiB;
  assert.ok(Math.abs(top.bytes - kept) < 0.25 * kept, `${top.bytes} B, kept ${kept}`);
  assert.ok(top.objects! > 0.75 * 10_000 && top.objects! < 1.25 * 10_000, `${top.objects} objects`);
  assert.deepEqual(top.stack?.slice(0, 2), ['main.keepPerRequest (main.go:47)', 'main.main.func1 (main.go:30)']);
  // The garbage is gone after the collection: its function holds nothing that ranks.
  const garbage = after.sites.find((s) => s.site.startsWith('main.makeGarbage'));
  assert.ok(!garbage || garbage.bytes < 0.05 * top.bytes, JSON.stringify(garbage));
  // A runtime allocation with no caller outside the runtime keeps its own frame.
  assert.match(before.sites[0]!.site, /^runtime\./);
  assert.equal(after.periodBytes, 512 * KiB);
  assert.equal(
    after.totalBytes,
    after.sites.reduce((n, s) => n + s.bytes, 0),
  );
  // Its share: of the growth of every in-use byte sampled, the runtime's own allocations included.
  const at = (label: string, t: number, p: typeof before): SitesTaken => ({
    t,
    label,
    source: 'pprof',
    origin: 'pprof-heap',
    method: 'test',
    sites: p.sites,
    totalBytes: p.totalBytes,
  });
  const d = diffSites(at('rest-1', 1, before), at('rest-2', 9, after), 10_000);
  assert.equal(d.heapGrowth, after.totalBytes - before.totalBytes);
  const keep = d.sites[0]!;
  assert.equal(keep.share, Math.round((keep.bytes / d.heapGrowth!) * 1000) / 1000);
  assert.ok(keep.share! > 0.9 && keep.share! <= 1, `share ${keep.share}`);
});

test('a body that is not a heap profile: the sites say why, and the run goes on', () => {
  assert.throws(() => heapProfileSites(gzipSync('<html>not pprof</html>')));
  const p = sitesOfHeapProfile(gzipSync('<html>not pprof</html>'), 'http://127.0.0.1:1/debug/pprof/heap?gc=1');
  assert.ok(isUnavailable(p));
  assert.match(p.unavailable, /does not parse/);
  const ok = sitesOfHeapProfile(profile('rest-2'), 'u');
  assert.ok(!isUnavailable(ok));
  assert.equal(ok.origin, 'pprof-heap');
  assert.equal(ok.raw.extension, 'pb.gz');
});

test("the Python hook's answer: sites by line, the snapshot kept; no list is unavailable", () => {
  const answer = {
    sites: [
      { site: 'keep_per_request (server.py:11)', bytes: 8_388_608, objects: 2000 },
      { site: 'bad' },
      { site: 'make_garbage (server.py:17)', bytes: 1000, objects: 3 },
    ],
    totalBytes: 9_000_000,
    totalObjects: 9000,
    frames: 1,
  };
  const p = parseHookSites(answer, Buffer.from('pickle'));
  assert.ok(!isUnavailable(p));
  assert.deepEqual(
    p.sites.map((s) => s.site),
    ['keep_per_request (server.py:11)', 'make_garbage (server.py:17)'],
  );
  assert.equal(p.raw.extension, 'tracemalloc.pickle');
  assert.equal(p.totalBytes, 9_000_000);
  assert.equal((parseHookSites(answer, undefined) as { raw: { extension: string } }).raw.extension, 'tracemalloc.json');
  assert.ok(isUnavailable(parseHookSites({ nope: 1 }, undefined)));
});

function taken(label: string, t: number, sites: [string, number, number][], totalBytes?: number): SitesTaken {
  return {
    t,
    label,
    source: 'pprof',
    origin: 'pprof-heap',
    method: 'test',
    sites: sites.map(([site, bytes, objects]) => ({ site, kind: 'function', bytes, objects })),
    ...(totalBytes !== undefined && { totalBytes }),
    file: `sites/${label}.pb.gz`,
  };
}

test('the diff ranks what was kept, never what was only allocated: garbage at the same level both times does not rank', () => {
  const a = taken(
    'idle-before',
    2,
    [
      ['main.cache (c.go:1)', 1_000_000, 10],
      ['main.garbage (g.go:9)', 600_000, 1],
      ['main.shrinks (s.go:3)', 400_000, 4],
    ],
    2_000_000,
  );
  const b = taken(
    'idle-after',
    10,
    [
      ['main.keep (k.go:5)', 8_000_000, 2000],
      ['main.cache (c.go:1)', 1_500_000, 15],
      ['main.garbage (g.go:9)', 600_000, 1],
      ['main.shrinks (s.go:3)', 100_000, 1],
    ],
    10_200_000,
  );
  const d = diffSites(a, b, 2000);
  assert.deepEqual(
    d.sites.map((s) => s.site),
    ['main.keep (k.go:5)', 'main.cache (c.go:1)'],
  );
  const keep = d.sites[0]!;
  assert.equal(keep.before, 0);
  assert.equal(keep.bytes, 8_000_000);
  assert.equal(keep.bytesPer1k, 4_000_000);
  assert.equal(keep.objectsPer1k, 1000);
  assert.equal(keep.share, Math.round((8_000_000 / 8_200_000) * 1000) / 1000);
  assert.equal(d.heapGrowth, 8_200_000);
  // Without a request count, no rate per request is made up.
  const unknown = diffSites(a, b, undefined);
  assert.equal(unknown.sites[0]!.bytesPer1k, undefined);
  assert.equal(unknown.requests, undefined);
});

function runData(records: SitesRecord[], extra: Partial<RunData> = {}): RunData {
  return {
    dir: '/nowhere',
    run: baseRunFile({
      phases: [
        { name: 'idle-before', kind: 'idle', params: {}, startT: 0, endT: 2 },
        {
          name: 'burst-1',
          kind: 'burst',
          params: {},
          startT: 2.5,
          endT: 5,
          result: burstResult('burst-1', 20_000),
        },
        { name: 'rest-1', kind: 'idle', params: {}, startT: 5, endT: 8 },
        {
          name: 'burst-2',
          kind: 'burst',
          params: {},
          startT: 8.5,
          endT: 11,
          result: burstResult('burst-2', 20_000),
        },
        { name: 'idle-after', kind: 'idle', params: {}, startT: 11, endT: 14 },
      ],
      allocationProfiles: records.flatMap((r) =>
        'file' in r && r.file
          ? [{ label: r.label, t: r.t, file: r.file, origin: r.origin, openWith: 'go tool pprof -top' }]
          : [],
      ),
    }),
    samples: [],
    samplesHeader: undefined,
    load: [],
    probes: [],
    events: [],
    warnings: [],
    sites: records,
    ...extra,
  };
}

function burstResult(phase: string, completed: number) {
  return {
    phase,
    kind: 'burst',
    requested: completed,
    sent: completed,
    completed,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { '200': completed },
    durationS: 2.5,
    rate: completed / 2.5,
  };
}

const KEEP = 'main.keepPerRequest (main.go:47)';

test('first rest against each later one, requests from the phases between, the pprof diff command', () => {
  const data = runData([
    taken('idle-before', 2.1, [[KEEP, 0, 0]], 500_000),
    taken('rest-1', 8.1, [[KEEP, 80_000_000, 20_000]], 80_500_000),
    taken('idle-after', 14.1, [[KEEP, 160_000_000, 40_000]], 160_500_000),
  ]);
  assert.equal(requestsBetween(data, 2.1, 14.1), 40_000);
  const r = allocationSites(data)!;
  const s = r.series[0]!;
  assert.deepEqual(
    s.diffs.map((d) => [d.from, d.to, d.requests]),
    [
      ['idle-before', 'rest-1', 20_000],
      ['idle-before', 'idle-after', 40_000],
    ],
  );
  assert.equal(s.diffs[1]!.sites[0]!.bytesPer1k, 4_000_000);
  assert.equal(
    s.diffCommand,
    'go tool pprof -sample_index=inuse_space -top -diff_base sites/idle-before.pb.gz sites/idle-after.pb.gz',
  );
  assert.equal(s.files.length, 3);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(topSiteEvidence(r), [
    `Most of what the heap kept from idle-before to idle-after was allocated at ${KEEP} (+3.8 MiB per 1,000 requests, 100% of the growth; "Where the retained memory was allocated" in the report).`,
  ]);
});

test('profiles after the target exited (a restart) are not compared with the first process', () => {
  const records = [
    taken('idle-before', 2.1, [[KEEP, 0, 0]], 500_000),
    taken('rest-1', 8.1, [[KEEP, 80_000_000, 20_000]], 80_500_000),
    taken('idle-after', 14.1, [[KEEP, 1_000, 1]], 600_000),
  ];
  const data = runData(records, { events: [{ t: 10, type: 'target-exit', code: 2 }] });
  const s = allocationSites(data)!.series[0]!;
  assert.deepEqual(
    s.taken.map((t) => t.label),
    ['idle-before', 'rest-1'],
  );
  assert.equal(s.diffs.at(-1)!.to, 'rest-1');
});

test('missing sites say which source and why: an unavailable profile, a source that never opened', () => {
  const r = allocationSites(
    runData([
      { t: 2, label: 'idle-before', source: 'pprof', unavailable: 'the heap profile does not parse' },
      { t: 14, label: 'idle-after', source: 'pprof', unavailable: 'the heap profile does not parse' },
    ]),
  )!;
  assert.deepEqual(r.missing, [{ source: 'pprof', reason: 'the heap profile does not parse' }]);
  assert.equal(r.series.length, 0);
  const noPprof = runData([]);
  noPprof.run.target.runtimeSources = [
    { origin: 'gctrace', opened: true },
    { origin: 'pprof', opened: false, note: 'answered 404; mount net/http/pprof for them' },
  ];
  delete noPprof.sites;
  assert.deepEqual(allocationSites(noPprof)!.missing, [
    { source: 'pprof', reason: 'answered 404; mount net/http/pprof for them' },
  ]);
  assert.equal(allocationSites(runData([])), undefined);
});

test('the report: the table in summary.md and index.html, sites.png, the top three in the step summary', async () => {
  const records: SitesRecord[] = [
    taken('idle-before', 1, [['main.cache (c.go:1)', 100_000, 1]], 600_000),
    taken(
      'idle-after',
      9,
      [
        [KEEP, 8_192_000, 2000],
        ['main.cache (c.go:1)', 300_000, 3],
        ['net/http.(*conn).serve (server.go:1)', 40_000, 4],
        ['main.small <x> | y (s.go:2)', 10_000, 1],
      ],
      9_000_000,
    ),
  ];
  const spec = {
    run: baseRunFile({
      scenario: 'soak',
      phases: [
        { name: 'idle-before', kind: 'idle', params: {}, startT: 0, endT: 1 },
        { name: 'burst', kind: 'burst', params: {}, startT: 1, endT: 5, result: burstResult('burst', 2000) },
        { name: 'idle-after', kind: 'idle', params: {}, startT: 5, endT: 9 },
      ],
    }),
    samples: [
      { t: 0.5, vmRss: 10_000_000 },
      { t: 8.5, vmRss: 20_000_000 },
    ],
    load: null,
    probes: null,
    events: null,
  };
  const dir = writeSyntheticRun(spec);
  const w = new NdjsonWriter<SitesRecord>(join(dir, FILES.sites), { schema: SCHEMA.sites, startedAtMs: STARTED_AT_MS });
  for (const r of records) w.write(r);
  w.close();
  const { summary } = await renderReport(dir);
  assert.equal(summary.schema, 'leakbench.summary/3');
  const md = readFileSync(join(dir, FILES.summaryMd), 'utf8');
  assert.match(md, /## Where the retained memory was allocated/);
  assert.match(md, /\| 1 \| main\.keepPerRequest \(main\.go:47\) \| \+7\.8 MiB \| \+3\.9 MiB \| \+1,000 \| 98% \|/);
  // Text from the target is inert in Markdown and HTML.
  assert.match(md, /main\.small &lt;x&gt; \\\| y/);
  assert.match(md, /!\[Where the retained memory was allocated\]\(sites\.png\)/);
  const html = readFileSync(join(dir, FILES.html), 'utf8');
  assert.match(html, /<h2>Where the retained memory was allocated<\/h2>/);
  assert.match(html, /main\.small &#60;x&#62;/);
  assert.ok(readFileSync(join(dir, 'sites.png')).subarray(1, 4).toString() === 'PNG');
  const step = renderStepSummary(summary, spec.run, dir);
  const lines = step.split('\n').filter((l) => /^\d\. /.test(l));
  assert.equal(lines.length, 3);
  assert.match(
    lines[0]!,
    /^1\. main\.keepPerRequest \(main\.go:47\): \+3\.9 MiB per 1,000 requests, 98% of the growth/,
  );
});
