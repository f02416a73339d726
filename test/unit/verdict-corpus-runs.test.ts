import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '../../src/analyse/diagnosis.ts';
import { VERDICT_KINDS } from '../../src/analyse/verdict-kinds.ts';
import { diagnose } from '../../src/analyse/verdict.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { materialise } from '../helpers/fixture-run.ts';

/**
 * Real soaks of servers from the verdict corpus (bench/verdict-corpus/, `--preset ci`, on the
 * 2-core machine, 2026-12-05) whose verdict was wrong on the pack of that day: kept so that the
 * fix stays measured on the data that showed the fault. Paths in run.json are relative.
 */
function corpusRun(name: string): Diagnosis {
  return diagnose(readRunDir(materialise(fileURLToPath(new URL(`../fixtures/corpus-runs/${name}/`, import.meta.url)))));
}

const said = (d: Diagnosis): string => [d.verdict.summary, ...d.verdict.evidence].join('\n');

test('go-cgo-leak, 1 KiB malloc per request in C, no /metrics: growth outside the Go heap, from the highest gctrace goal', () => {
  const d = corpusRun('go-cgo-leak');
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime', said(d));
  const outside = d.retained!.figures.find((f) => f.key === 'outsideGo')!;
  assert.equal(outside.label, 'RSS outside the Go heap');
  assert.equal(outside.shape, 'leak');
  // 1 KiB per request by construction, RSS 1,017 KiB per 1,000 requests.
  assert.ok(outside.per1k > 900 * 1024 && outside.per1k < 1100 * 1024, `per 1,000: ${outside.per1k}`);
});

for (const name of ['node-lru-late', 'node-warm-up']) {
  test(`${name}: a rise of about 1 MiB outside the V8 heap in the first rest only is not growth at rest`, () => {
    const d = corpusRun(name);
    assert.equal(VERDICT_KINDS[d.verdict.kind].class, 'bounded', `${d.verdict.kind}: ${said(d)}`);
  });
}

test('node-lru-late, second rest: memory outside the V8 heap rising while V8 gave its heap back is not growth at rest', () => {
  // bench:verdicts --parallel 2, 2026-12-06 (AMD EPYC): every figure bounded per burst, but in the
  // last rest V8 heap total fell 120.3 -> 78.6 MiB and RSS followed 3 MiB short, so RSS outside the
  // V8 heap "grew" +1.2 MiB (tau 0.47); the run was called heap-growth and failed --fail-on growth.
  const d = corpusRun('node-lru-late-second-rest');
  assert.equal(VERDICT_KINDS[d.verdict.kind].class, 'bounded', `${d.verdict.kind}: ${said(d)}`);
  assert.match(
    said(d),
    /RSS outside the V8 heap and Buffers rose \+1\.2 MiB \(fitted\) in idle-after while V8 heap total fell [\d.]+ MiB: the pages V8 and Node\.js gave back leave RSS later/,
  );
});

test('jvm-lru, a JVM cache: two bursts whose RSS kept less the second time ask for a third, which finds it bounded', () => {
  const two = corpusRun('jvm-lru-two-bursts');
  // Outside the Java heap +34.4 then +25.2 MiB, RSS +578.5 then +51.7 MiB, Java heap used flat.
  assert.notEqual(two.verdict.kind, 'growth-outside-runtime', said(two));
  assert.equal(two.retainedUndecided?.key, 'vmRss', 'the soak runs another burst (--max-bursts)');
  const three = corpusRun('jvm-lru-three-bursts');
  assert.equal(VERDICT_KINDS[three.verdict.kind].class, 'bounded', `${three.verdict.kind}: ${said(three)}`);
  assert.equal(three.retainedUndecided, undefined);
});

test('gin-plain-late-gctrace, 8 KiB kept per request, no /metrics: the gctrace baseline is not taken under load', () => {
  // A run of test/fixtures/gin-plain (test/integration/runtime-gin.test.ts, 2026-12-06): its first
  // collection, hence gctrace's first line, came 0.15 s into the burst, and the median of the
  // first five figures (three of them in the burst) was 64 MiB, most of what the burst kept.
  const d = corpusRun('gin-plain-late-gctrace');
  assert.equal(d.verdict.kind, 'go-heap-growth', said(d));
  const burst = d.figures.find((f) => f.key === 'vmRss')!.windows.find((w) => w.kind === 'burst')!;
  const live = d.figures.find((f) => f.key === 'gcTraceLive')!;
  assert.equal(live.baselineUnderLoad, true);
  assert.match(live.baselineFrom, /^the first sample \(t=2\.15 s, under load in burst\)/);
  assert.ok(live.baseline < 8 * 2 ** 20, `baseline ${live.baseline}`);
  // 20,000 requests × 8 KiB is 156 MiB kept by construction; gctrace counts whole MiB.
  const kept = 20_000 * 8 * 1024;
  const retained = live.retainedAfterBurst!;
  assert.ok(retained > 0.85 * kept && retained < 1.1 * kept, `retained ${retained} of ${kept}`);
  // Figures sampled from the start keep a baseline from the rest before the burst.
  const rss = d.figures.find((f) => f.key === 'vmRss')!;
  assert.equal(rss.baselineUnderLoad, undefined);
  assert.equal(rss.baselineFrom, 'median of the first 5 samples');
  assert.ok(rss.baseline < 20 * 2 ** 20 && burst.startT > 1.5, `RSS baseline ${rss.baseline}`);
});
