import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocSitesReport } from '../../src/analyse/alloc-sites.ts';
import { contrastSites } from '../../src/analyse/compare-sites.ts';

function report(sites: [string, number][]): AllocSitesReport {
  return {
    missing: [],
    series: [
      {
        origin: 'pprof-heap',
        method: 'test',
        taken: [],
        files: [],
        diffs: [
          {
            from: 'idle-before',
            to: 'idle-after',
            fromT: 0,
            toT: 10,
            requests: 10_000,
            sites: sites.map(([site, per1k]) => ({
              site,
              kind: 'function',
              before: 0,
              after: per1k * 10,
              bytes: per1k * 10,
              bytesPer1k: per1k,
            })),
          },
        ],
      },
    ],
  };
}

test('a site that grew in head and not in base is named, with what base kept there', () => {
  const c = contrastSites([
    { build: 'base', sites: report([['bufio.NewReaderSize (bufio.go:57)', 12_000]]) },
    {
      build: 'head',
      sites: report([
        ['main.keepPerRequest (main.go:47)', 4_000_000],
        ['bufio.NewReaderSize (bufio.go:57)', 13_000],
      ]),
    },
  ]);
  assert.deepEqual(c, [
    {
      build: 'head',
      origin: 'pprof-heap',
      site: 'main.keepPerRequest (main.go:47)',
      bytesPer1k: 4_000_000,
      others: [{ build: 'base' }],
    },
  ]);
});

test('sites both builds grew alike, sites under 1 KiB per 1,000 requests, and builds without a profile say nothing', () => {
  assert.deepEqual(
    contrastSites([
      {
        build: 'a',
        sites: report([
          ['x (x.go:1)', 50_000],
          ['tiny (t.go:1)', 500],
        ]),
      },
      { build: 'b', sites: report([['x (x.go:1)', 40_000]]) },
      { build: 'c' },
    ]),
    [],
  );
});
