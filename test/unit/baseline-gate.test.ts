/**
 * The baseline gate's rules on exact amounts (retained per 1,000 requests with their noise), the
 * answers check, and compare's --baseline and --rounds flags. The gate against real servers is
 * test/integration/baseline-gate.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baselineGate, pool, RELATIVE_MARGIN } from '../../src/analyse/baseline-gate.ts';
import { answerWarnings } from '../../src/analyse/compare-answers.ts';
import type { FigureRetained, RetainedReport } from '../../src/analyse/diagnosis.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { parseCompareArgs } from '../../src/options/compare-options.ts';
import type { PhaseLoadSummary } from '../../src/rundir/schema.ts';
import { gateMarkdown } from '../../src/report/compare-gate.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const REQUESTS = 20_000;

/** A figure as retained.ts reports it: two bursts of 20,000 requests, the second adding `per1k` per 1,000. */
function figure(
  role: FigureRetained['role'],
  key: FigureRetained['key'],
  per1k: number,
  o: { noise?: number; band?: number; unit?: 'bytes' | 'count'; shape?: FigureRetained['shape'] } = {},
): FigureRetained {
  const unit = o.unit ?? 'bytes';
  const noise = o.noise ?? 0;
  const band = o.band ?? Math.max(3 * Math.SQRT2 * noise, unit === 'bytes' ? 512 * KiB : 5);
  const spread = (1.96 * Math.SQRT2 * noise) / (REQUESTS / 1000);
  const added = (per1k * REQUESTS) / 1000;
  return {
    key,
    label: String(key),
    unit,
    role,
    levelFrom: 'forced-collection',
    baseline: 0,
    bursts: [
      { burst: 'burst-1', rest: 'rest-1', requests: REQUESTS, totalRequests: REQUESTS, retained: added, added },
      {
        burst: 'burst-2',
        rest: 'idle-after',
        requests: REQUESTS,
        totalRequests: 2 * REQUESTS,
        retained: 2 * added,
        added,
      },
    ],
    noise,
    band,
    shape: o.shape ?? (added > band ? 'leak' : 'nothing'),
    per1k,
    low: per1k - spread,
    high: per1k + spread,
  };
}

function summary(kind: string, figures: FigureRetained[]): SummaryFile {
  const retained: RetainedReport = { bursts: 2, figures };
  return { diagnosis: { verdict: { kind }, retained } } as unknown as SummaryFile;
}

/** A Go build: goroutines, live heap, outside the runtime, RSS (per 1,000 requests). */
function goBuild(kind: string, live: number, outside: number, o: { liveNoise?: number } = {}): SummaryFile {
  return summary(kind, [
    figure('rss', 'vmRss', live + outside, { noise: 300 * KiB }),
    figure('live-heap', 'liveHeap', live, { noise: o.liveNoise ?? 200 * KiB }),
    figure('heap', 'heapInuse', live, { noise: 1 * MiB }),
    figure('outside', 'outsideGo', outside),
    figure('tasks', 'goroutines', 0, { unit: 'count' }),
  ]);
}

test('two -race builds of the same code, the second leaving twice as much outside the runtime: alike (exit 0)', () => {
  // Measured: 32 soaks of the bundled race build left 270 to 559 KiB per 1,000 requests outside the Go runtime.
  const g = baselineGate('base', [
    { build: 'base', summary: goBuild('growth-outside-go-runtime', 63 * KiB, 270 * KiB) },
    { build: 'head', summary: goBuild('growth-outside-go-runtime', 24 * KiB, 559 * KiB) },
  ])!;
  assert.equal(g.decision, 'alike');
  const outside = g.builds[0]!.figures.find((f) => f.role === 'outside')!;
  assert.equal(outside.decision, 'alike');
  assert.equal(outside.threshold, Math.round(RELATIVE_MARGIN.outside * 270 * KiB));
  assert.match(g.builds[0]!.words.join(' '), /No figure of head retains more/);
});

test('memory outside the runtime: a new leak on a flat base is a regression; on a growing base, only beyond three times its rate', () => {
  const flat = baselineGate('base', [
    { build: 'base', summary: goBuild('stable', 10 * KiB, 5 * KiB) },
    { build: 'head', summary: goBuild('growth-outside-go-runtime', 10 * KiB, 300 * KiB) },
  ])!;
  assert.equal(flat.builds[0]!.figures.find((f) => f.role === 'outside')!.decision, 'more');
  assert.equal(flat.decision, 'regression');
  const race = (head: number) =>
    baselineGate('base', [
      { build: 'base', summary: goBuild('growth-outside-go-runtime', 10 * KiB, 300 * KiB) },
      { build: 'head', summary: goBuild('growth-outside-go-runtime', 10 * KiB, head) },
    ])!.decision;
  assert.equal(race(880 * KiB), 'alike');
  assert.equal(race(1000 * KiB), 'regression');
});

test('a heap leak of 4 KiB per request against a stable base: regression on the live heap, with the difference and its interval', () => {
  const g = baselineGate('base', [
    { build: 'base', summary: goBuild('stable', 10 * KiB, 20 * KiB) },
    { build: 'head', summary: goBuild('go-heap-growth', 4000 * KiB, 20 * KiB) },
  ])!;
  assert.equal(g.decision, 'regression');
  const b = g.builds[0]!;
  assert.equal(b.by, 'figures');
  const live = b.figures.find((f) => f.role === 'heap')!;
  assert.equal(live.key, 'liveHeap', 'the live heap stands for the heap');
  assert.equal(live.decision, 'more');
  assert.equal(live.difference.per1k, 3990 * KiB);
  assert.ok(live.difference.low > 0 && live.difference.low < live.difference.per1k);
  assert.match(b.words[0]!, /^liveHeap retains 3\.9 MiB more per 1,000 requests than the baseline \(95% CI/);
  assert.deepEqual(b.newGrowthKinds, ['go-heap-growth']);
  const md = gateMarkdown({ baseline: 'base', gate: g }).join('\n');
  assert.match(md, /^## Baseline gate: against base$/m);
  assert.match(md, /^\*\*head: regression\*\*/m);
  assert.match(
    md,
    /^\| liveHeap \| \+10\.0 KiB \| \+3\.9 MiB \| \+3\.9 MiB \(\+3\.\d MiB to \+3\.\d MiB\) \| .* \| retains more \|$/m,
  );
});

test("a difference inside the runs' noise is alike, even beyond the relative margin", () => {
  // Base retains nothing; head 20 KiB per 1,000 requests: 400 KiB a burst, under the 512 KiB floor.
  const g = baselineGate('base', [
    { build: 'base', summary: goBuild('stable', 0, 0) },
    { build: 'head', summary: goBuild('stable', 20 * KiB, 0) },
  ])!;
  assert.equal(g.builds[0]!.figures.find((f) => f.role === 'heap')!.decision, 'alike');
  assert.equal(g.decision, 'alike');
});

test('RSS decides only where no runtime figure says where memory is', () => {
  const rssOnly = (per1k: number) => summary(per1k > 0 ? 'rss-growth' : 'stable', [figure('rss', 'vmRss', per1k)]);
  const g = baselineGate('base', [
    { build: 'base', summary: rssOnly(0) },
    { build: 'head', summary: rssOnly(2 * MiB) },
  ])!;
  assert.equal(g.decision, 'regression');
  assert.equal(g.builds[0]!.figures[0]!.gating, true);
  // With the Go figures, RSS alone retaining more (a difference the runtime's figures place nowhere) does not decide.
  const go = baselineGate('base', [
    { build: 'base', summary: goBuild('stable', 0, 0) },
    {
      build: 'head',
      summary: summary('stable', [
        figure('rss', 'vmRss', 2 * MiB),
        figure('live-heap', 'liveHeap', 0),
        figure('outside', 'outsideGo', 0),
        figure('tasks', 'goroutines', 0, { unit: 'count' }),
      ]),
    },
  ])!;
  const rss = go.builds[0]!.figures.find((f) => f.role === 'rss')!;
  assert.equal(rss.decision, 'more');
  assert.equal(rss.gating, false);
  assert.equal(go.decision, 'alike');
});

test('a goroutine per request: regression on the tasks figure', () => {
  const g = baselineGate('base', [
    { build: 'base', summary: goBuild('stable', 0, 0) },
    {
      build: 'head',
      summary: summary('goroutine-growth', [figure('tasks', 'goroutines', 1000, { unit: 'count' })]),
    },
  ])!;
  // The head has only the tasks figure: the others are not compared.
  assert.deepEqual(
    g.builds[0]!.figures.map((f) => [f.role, f.decision]),
    [['tasks', 'more']],
  );
  assert.equal(g.decision, 'regression');
});

test('without figures per burst (one burst, the burst scenario), a growth kind the baseline does not show decides', () => {
  const noRetained = (kind: string) => ({ diagnosis: { verdict: { kind } } }) as unknown as SummaryFile;
  const grew = baselineGate('base', [
    { build: 'base', summary: noRetained('growth-outside-go-runtime') },
    { build: 'head', summary: noRetained('go-heap-growth') },
  ])!;
  assert.equal(grew.decision, 'regression');
  assert.equal(grew.builds[0]!.by, 'verdict-kinds');
  const alike = baselineGate('base', [
    { build: 'base', summary: noRetained('growth-outside-go-runtime') },
    { build: 'head', summary: noRetained('growth-outside-go-runtime') },
  ])!;
  assert.equal(alike.decision, 'alike');
  // With figures compared, a verdict that fell the other side of a threshold is not counted.
  const flipped = baselineGate('base', [
    { build: 'base', summary: goBuild('plateau', 0, 380 * KiB) },
    { build: 'head', summary: goBuild('growth-outside-go-runtime', 0, 400 * KiB) },
  ])!;
  assert.equal(flipped.decision, 'alike');
  assert.match(
    flipped.builds[0]!.words.join(' '),
    /growth-outside-go-runtime\) is one the baseline's is not.*not counted/,
  );
});

test('a gated build without a summary is a regression; a baseline without one gives no gate', () => {
  const g = baselineGate('base', [{ build: 'base', summary: goBuild('stable', 0, 0) }, { build: 'head' }])!;
  assert.equal(g.decision, 'regression');
  assert.equal(
    baselineGate('base', [{ build: 'base' }, { build: 'head', summary: goBuild('stable', 0, 0) }]),
    undefined,
  );
});

test('rounds pool: the mean rate, and an interval at least as wide as the rounds disagree', () => {
  const p = pool([figure('outside', 'outsideGo', 300 * KiB), figure('outside', 'outsideGo', 400 * KiB)]);
  assert.equal(p.per1k, 350 * KiB);
  assert.equal(p.rounds, 2);
  // No noise at rest: the interval is the rounds' spread, 1.96 × sd / √2.
  const sd = Math.SQRT2 * 50 * KiB;
  assert.equal(p.high - p.per1k, Math.round((1.96 * sd) / Math.SQRT2));
});

const result = (codes: Record<string, number>, errors = 0): PhaseLoadSummary =>
  ({
    completed: Object.values(codes).reduce((a, b) => a + b, 0),
    errors,
    statusCodes: codes,
  }) as unknown as PhaseLoadSummary;
const probe = (bytes: number) => ({ phase: 'idle', seq: 0, scheduledT: 0, sentT: 0, status: 200, bytes });

test('builds that answer differently: a warning each for status codes, body sizes and failed requests', () => {
  const w = answerWarnings(
    [
      { build: 'base', results: [result({ 200: 40_000 })], probes: [probe(12), probe(12)] },
      { build: 'head', results: [result({ 200: 30_000, 404: 10_000 }, 5)], probes: [probe(120), probe(120)] },
    ],
    'base',
  );
  assert.equal(w.length, 3, w.join('\n'));
  assert.match(
    w[0]!,
    /^head answered with other status codes than base \(head: 200 × 30,000 of 40,000, 404 × 10,000 of 40,000; base: 200 × 40,000 of 40,000\)/,
  );
  assert.match(w[1]!, /median body of the probes: head 120 B, base 12 B/);
  assert.match(w[2]!, /^head had 5 failed requests/);
  assert.deepEqual(
    answerWarnings(
      [
        { build: 'base', results: [result({ 200: 10 })], probes: [probe(12)] },
        { build: 'head', results: [result({ 200: 10 })], probes: [probe(12)] },
      ],
      'base',
    ),
    [],
  );
});

test('compare --baseline and --rounds: named build, two builds, rounds alternate, --fail-on moves to the comparison', () => {
  const args = ['--cmd', './a', '--label', 'base', '--cmd', './b', '--label', 'head', '--url', 'http://127.0.0.1:9'];
  assert.throws(
    () => parseCompareArgs([...args, '--baseline', 'main'], () => 'x'),
    /^UsageError: --baseline: "main" is not one of the builds \(base, head\)/,
  );
  assert.throws(
    () =>
      parseCompareArgs(
        ['--cmd', './a', '--label', 'base', '--baseline', 'base', '--url', 'http://127.0.0.1:9'],
        () => 'x',
      ),
    /^UsageError: --baseline: one build only/,
  );
  assert.throws(() => parseCompareArgs([...args, '--rounds', '0'], () => 'x'), /--rounds: expected a whole number/);
  const o = parseCompareArgs([...args, '--baseline', 'base', '--rounds', '2', '--fail-on', 'growth'], () => 'x');
  assert.ok(o !== 'help');
  assert.deepEqual(
    o.runs.map((r) => [r.label, r.build, r.round, r.options.name, r.options.failOn]),
    [
      ['base-r1', 'base', 1, 'base-r1', undefined],
      ['head-r1', 'head', 1, 'head-r1', undefined],
      ['base-r2', 'base', 2, 'base-r2', undefined],
      ['head-r2', 'head', 2, 'head-r2', undefined],
    ],
  );
  assert.equal(o.baseline, 'base');
  assert.deepEqual(o.failOn, { growth: true });
  // Without --baseline, --fail-on keeps gating each run.
  const plain = parseCompareArgs([...args, '--fail-on', 'growth'], () => 'x');
  assert.ok(plain !== 'help');
  assert.deepEqual(plain.runs[0]!.options.failOn, { growth: true });
  assert.equal(plain.failOn, undefined);
});
