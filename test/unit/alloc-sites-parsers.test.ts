/**
 * The parsers behind the Node.js and JVM allocation sites (issue 24), on real captured output:
 *
 * - node20-server-1000-requests.heapprofile: HeapProfiler.getSamplingProfile (Node.js 20.20,
 *   32 KiB interval) of test/fixtures/alloc-sites/server.mjs after 1,000 GET /work and
 *   HeapProfiler.collectGarbage; the directory it ran in written as /srv/app. remember() keeps
 *   2 KiB strings (2,064 bytes each on the V8 heap: 2.06 MB for 1,000), churn() 32 KiB of garbage.
 * - jdk17-inspectheap-live-trimmed.histo.txt: the attach API's `inspectheap -live` of
 *   SitesServer.java (OpenJDK 17.0.15, source-file mode) after 300 GET /work (2,400 Visit kept);
 *   997 rows trimmed to the first 30, four lambdas and the last three (the Total line is the
 *   untrimmed one's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import {
  asSamplingHeapProfile,
  frameName,
  samplingProfileSites,
  samplingProfileTotal,
  type SamplingHeapProfile,
  type SamplingHeapProfileNode,
} from '../../src/sample/runtime/heap-sampling.ts';
import {
  classHistogramSites,
  classHistogramTotal,
  parseClassHistogram,
  stableClassName,
  type ClassHistogram,
} from '../../src/sample/runtime/class-histogram.ts';
import { diffSites } from '../../src/analyse/alloc-sites.ts';
import type { SitesTaken } from '../../src/rundir/schema.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites');
const profileText = readFileSync(join(FIXTURES, 'node20-server-1000-requests.heapprofile'), 'utf8');
const histogramText = readFileSync(join(FIXTURES, 'jdk17-inspectheap-live-trimmed.histo.txt'), 'utf8');

test('sampling profile: the keeping function first, near what it keeps, its stack through node:buffer', () => {
  const sites = samplingProfileSites(asSamplingHeapProfile(JSON.parse(profileText)), '/srv/app');
  const top = sites[0]!;
  assert.equal(top.site, 'remember (test/fixtures/alloc-sites/server.mjs:13)');
  assert.equal(top.kind, 'function');
  // 1,000 strings of 2,064 bytes, estimated from samples: within 25%.
  assert.ok(Math.abs(top.bytes - 2_064_000) < 0.25 * 2_064_000, `remember: ${top.bytes} bytes`);
  assert.ok(top.samples! >= 30, `remember: ${top.samples} samples`);
  assert.deepEqual(top.stack, [
    'toString (node:buffer:834)',
    'remember (test/fixtures/alloc-sites/server.mjs:13)',
    '(anonymous) (test/fixtures/alloc-sites/server.mjs:28)',
    'emit (node:events:471)',
  ]);
  const churn = sites.find((s) => s.site.startsWith('churn '));
  assert.ok(churn === undefined || churn.bytes < top.bytes / 10, 'the garbage maker keeps little');
  // Every live byte is given to one site, and sites are unique, most bytes first.
  const total = (function sum(n: SamplingHeapProfileNode): number {
    return n.selfSize + n.children.reduce((a, c) => a + sum(c), 0);
  })(asSamplingHeapProfile(JSON.parse(profileText)).head);
  assert.equal(
    sites.reduce((a, s) => a + s.bytes, 0),
    total,
  );
  assert.equal(new Set(sites.map((s) => s.site)).size, sites.length);
  assert.deepEqual(
    sites.map((s) => s.bytes),
    sites.map((s) => s.bytes).sort((a, b) => b - a),
  );
  // Node.js's own allocations with no application frame are named by their innermost frame.
  assert.ok(sites.some((s) => s.site === 'parserOnHeadersComplete (node:_http_common:71)'));
});

test('sampling profile: without a cwd, absolute paths; frames named as editors count lines', () => {
  const sites = samplingProfileSites(asSamplingHeapProfile(JSON.parse(profileText)));
  assert.equal(sites[0]!.site, 'remember (/srv/app/test/fixtures/alloc-sites/server.mjs:13)');
  const cf = { functionName: '', scriptId: '1', url: '/srv/app/index.js', lineNumber: 0, columnNumber: 4 };
  assert.equal(frameName(cf), '(anonymous) (/srv/app/index.js:1)');
  assert.equal(frameName({ ...cf, functionName: '(V8 API)', url: '', lineNumber: -1 }), '(V8 API)');
  assert.equal(frameName({ ...cf, url: 'file:///srv/app/a%20b.mjs' }, '/srv/app'), '(anonymous) (a b.mjs:1)');
});

test('sampling profile: a dependency is the site only when no frame of the application is on the stack', () => {
  const frame = (functionName: string, url: string, line: number) => ({
    functionName,
    url,
    scriptId: '1',
    lineNumber: line,
    columnNumber: 0,
  });
  const node = (id: number, cf: ReturnType<typeof frame>, selfSize: number, children: SamplingHeapProfileNode[]) => ({
    id,
    callFrame: cf,
    selfSize,
    children,
  });
  const lib = frame('set', '/srv/app/node_modules/lru/index.js', 40);
  const profile = asSamplingHeapProfile({
    head: node(1, frame('(root)', '', -1), 0, [
      node(2, frame('handler', '/srv/app/server.js', 9), 0, [node(3, lib, 65536, [])]),
      node(4, frame('tick', '/srv/app/node_modules/lru/index.js', 80), 0, [node(5, lib, 32768, [])]),
      node(6, frame('(V8 API)', '', -1), 32768, []),
    ]),
    samples: [
      { size: 32768, nodeId: 3, ordinal: 1 },
      { size: 32768, nodeId: 3, ordinal: 2 },
      { size: 32768, nodeId: 5, ordinal: 3 },
    ],
  });
  assert.deepEqual(samplingProfileSites(profile, '/srv/app'), [
    {
      site: 'handler (server.js:10)',
      kind: 'function',
      bytes: 65536,
      samples: 2,
      stack: ['set (node_modules/lru/index.js:41)', 'handler (server.js:10)'],
    },
    { site: '(V8 API)', kind: 'function', bytes: 32768, samples: 0, stack: ['(V8 API)'] },
    {
      site: 'set (node_modules/lru/index.js:41)',
      kind: 'function',
      bytes: 32768,
      samples: 1,
      stack: ['set (node_modules/lru/index.js:41)', 'tick (node_modules/lru/index.js:81)'],
    },
  ]);
});

test('sampling profile: an answer that is not one is an error saying what is missing', () => {
  assert.throws(() => asSamplingHeapProfile({}), /no root node/);
  assert.throws(() => asSamplingHeapProfile(null), /no root node/);
  const head = JSON.parse(profileText).head;
  head.children[0].children.push({ id: 9999, selfSize: 'big' });
  assert.throws(() => asSamplingHeapProfile({ head }), /a node that is not one: \{"id":9999/);
});

test('class histogram: rows with and without a module, the Total line, sites by stable class name', () => {
  const h = parseClassHistogram(histogramText);
  assert.equal(h.rows.length, 37);
  assert.deepEqual(h.rows[0], { className: '[B', module: 'java.base@17.0.15', instances: 21075, bytes: 1406960 });
  assert.deepEqual(h.rows[3], { className: 'SitesServer$Visit', instances: 2400, bytes: 307200 });
  assert.deepEqual(h.total, { instances: 98858, bytes: 4869160 });
  const sites = classHistogramSites(h);
  assert.deepEqual(sites[0], { site: '[B', kind: 'class', bytes: 1406960, objects: 21075 });
  assert.deepEqual(
    sites.find((s) => s.site === 'SitesServer$Visit'),
    { site: 'SitesServer$Visit', kind: 'class', bytes: 307200, objects: 2400 },
  );
  // Two lambdas of one class, whose names differ only by load order and address, are one site.
  assert.deepEqual(
    sites.find((s) => s.site === 'com.sun.tools.javac.code.DeferredCompletionFailureHandler$1$$Lambda'),
    {
      site: 'com.sun.tools.javac.code.DeferredCompletionFailureHandler$1$$Lambda',
      kind: 'class',
      bytes: 32,
      objects: 2,
    },
  );
  assert.equal(sites.length, 36);
  assert.ok(sites.some((s) => s.site === '[Ljava.lang.Object;'));
});

test('class histogram: JDK 8 rows (no module column), stable names, and what is not a histogram', () => {
  const jdk8 = [
    ' num     #instances         #bytes  class name',
    '----------------------------------------------',
    '   1:          4400         352000  [C',
    '   2:            12           2400  Main$$Lambda$1/1831932724',
    'Total          4412         354400',
    '',
  ].join('\n');
  assert.deepEqual(parseClassHistogram(jdk8).rows[1], {
    className: 'Main$$Lambda$1/1831932724',
    instances: 12,
    bytes: 2400,
  });
  assert.equal(classHistogramSites(parseClassHistogram(jdk8))[1]!.site, 'Main$$Lambda');
  assert.equal(stableClassName('Main$$Lambda/0x0000000801001200'), 'Main$$Lambda');
  assert.equal(stableClassName('java.lang.invoke.LambdaForm$MH/0x0000000800c10400'), 'java.lang.invoke.LambdaForm$MH');
  assert.equal(stableClassName('[Ljava.lang.String;'), '[Ljava.lang.String;');
  assert.throws(() => parseClassHistogram(''), /not a class histogram \(no rows\)/);
  assert.throws(
    () => parseClassHistogram('Invalid argument to inspectheap operation: -bogus\n'),
    /line 1 is not a histogram row: "Invalid argument/,
  );
  assert.throws(() => parseClassHistogram(`${histogramText}\n  12: many  1 x`), /line 42 is not a histogram row/);
});

/** A profile at a rest's end as sites.ndjson keeps it. */
function takenAt(label: string, t: number, p: Pick<SitesTaken, 'origin' | 'sites' | 'totalBytes'>): SitesTaken {
  return { t, label, source: 'inspector', method: 'test', ...p };
}

test("sampling profile: a site's share is of the growth of every live byte sampled, all sites together", () => {
  const profile = asSamplingHeapProfile(JSON.parse(profileText));
  const total = samplingProfileTotal(profile);
  assert.equal(
    total,
    samplingProfileSites(profile).reduce((a, s) => a + s.bytes, 0),
  );
  const frame = (functionName: string, url: string, line: number) => ({
    functionName,
    url,
    scriptId: '1',
    lineNumber: line,
    columnNumber: 0,
  });
  // remember() kept 800 KiB more, Node.js's parser 100 KiB more, churn() less than before.
  const at = (remember: number, parser: number, churn: number): SamplingHeapProfile => ({
    head: {
      id: 1,
      callFrame: frame('(root)', '', -1),
      selfSize: 0,
      children: [
        { id: 2, callFrame: frame('remember', '/srv/app/server.mjs', 12), selfSize: remember, children: [] },
        { id: 3, callFrame: frame('parserOnHeadersComplete', 'node:_http_common', 70), selfSize: parser, children: [] },
        { id: 4, callFrame: frame('churn', '/srv/app/server.mjs', 18), selfSize: churn, children: [] },
      ],
    },
  });
  const profileAt = (label: string, t: number, p: SamplingHeapProfile) =>
    takenAt(label, t, {
      origin: 'inspector-sampling',
      sites: samplingProfileSites(p, '/srv/app'),
      totalBytes: samplingProfileTotal(p),
    });
  const before = at(100 * 1024, 50 * 1024, 200 * 1024);
  const after = at(900 * 1024, 150 * 1024, 100 * 1024);
  assert.equal(samplingProfileTotal(after), 1150 * 1024);
  const d = diffSites(profileAt('idle-before', 1, before), profileAt('idle-after', 9, after), 1000);
  // Everything sampled grew 800 KiB: +800 and +100, less the 100 churn() let go.
  assert.equal(d.heapGrowth, 800 * 1024);
  assert.deepEqual(
    d.sites.map((s) => [s.site, s.share]),
    [
      ['remember (server.mjs:13)', 1],
      ['parserOnHeadersComplete (node:_http_common:71)', 0.125],
    ],
  );
});

test("class histogram: the whole heap is the Total line (rows summed without one); a class's share of its growth", () => {
  const h = parseClassHistogram(histogramText);
  // The trimmed rows sum to less; the Total line is the untrimmed histogram's.
  assert.deepEqual(classHistogramTotal(h), { instances: 98858, bytes: 4869160 });
  assert.ok(h.rows.reduce((a, r) => a + r.bytes, 0) < 4869160);
  const noTotal: ClassHistogram = { rows: h.rows.slice(0, 2) };
  assert.deepEqual(classHistogramTotal(noTotal), {
    instances: h.rows[0]!.instances + h.rows[1]!.instances,
    bytes: h.rows[0]!.bytes + h.rows[1]!.bytes,
  });
  // 1,000 requests later: 8,000 Visit more (128 bytes each), their list's array 32 KiB more, [B as before.
  const later = `${histogramText
    .replace(/ 2400 +307200 {2}SitesServer\$Visit/, ' 10400 1331200  SitesServer$Visit')
    .replace(/Total +98858 +4869160/, 'Total 106859 5926728')}\n`;
  const grown = parseClassHistogram(later);
  assert.deepEqual(classHistogramTotal(grown), { instances: 106859, bytes: 5926728 });
  const histogramAt = (label: string, t: number, x: ClassHistogram) =>
    takenAt(label, t, {
      origin: 'class-histogram',
      sites: classHistogramSites(x),
      totalBytes: classHistogramTotal(x).bytes,
    });
  const d = diffSites(histogramAt('idle-before', 1, h), histogramAt('idle-after', 9, grown), 1000);
  assert.equal(d.heapGrowth, 5926728 - 4869160);
  assert.equal(d.sites[0]!.site, 'SitesServer$Visit');
  assert.equal(d.sites[0]!.objectsPer1k, 8000);
  assert.equal(d.sites[0]!.share, Math.round((1024000 / (5926728 - 4869160)) * 1000) / 1000);
});
