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

test('jvm-lru, a JVM cache: two bursts whose RSS kept less the second time ask for a third, which finds it bounded', () => {
  const two = corpusRun('jvm-lru-two-bursts');
  // Outside the Java heap +34.4 then +25.2 MiB, RSS +578.5 then +51.7 MiB, Java heap used flat.
  assert.notEqual(two.verdict.kind, 'growth-outside-runtime', said(two));
  assert.equal(two.retainedUndecided?.key, 'vmRss', 'the soak runs another burst (--max-bursts)');
  const three = corpusRun('jvm-lru-three-bursts');
  assert.equal(VERDICT_KINDS[three.verdict.kind].class, 'bounded', `${three.verdict.kind}: ${said(three)}`);
  assert.equal(three.retainedUndecided, undefined);
});
