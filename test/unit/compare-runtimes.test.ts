/** The compare report speaks of each run's heap in its runtime's words, not "Go heap" for all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparison, comparisonMarkdown } from '../../src/report/compare.ts';
import type { TargetIdentity } from '../../src/rundir/schema.ts';
import { seriesRun, SOAK, SOAK_END, MiB } from '../helpers/synthetic-series.ts';
import { writeSyntheticRun } from '../helpers/synthetic-run.ts';

const node: TargetIdentity = {
  pid: 1,
  executable: '/usr/bin/node',
  runtime: 'node',
  runtimeEvidence: 'executable node',
};
const go: TargetIdentity = {
  pid: 1,
  executable: '/srv/app',
  runtime: 'go',
  runtimeVersion: 'go1.26.8',
  runtimeEvidence: 'Go build info in the executable',
};

function run(identity: TargetIdentity, figures: Record<string, number>): string {
  return writeSyntheticRun(
    seriesRun({
      phases: SOAK,
      endT: SOAK_END,
      seed: 3,
      figures: () => ({ vmRss: 40 * MiB, ...figures }),
      target: { kind: 'command', label: 'cmd', identity },
    }),
  );
}

test('compare: a Node.js run and a Go run, each heap in its own words', () => {
  const nodeDir = run(node, { v8HeapUsed: 12 * MiB, v8HeapTotal: 20 * MiB });
  const goDir = run(go, { heapInuse: 5 * MiB, goSys: 14 * MiB });
  const c = comparison(nodeDir, 'soak', [
    { label: 'node', dir: nodeDir },
    { label: 'go', dir: goDir },
  ]);
  assert.deepEqual(
    c.file.runs.map((r) => r.heapLabel),
    ['V8 heap used', 'Go heap in use'],
  );
  const md = comparisonMarkdown(c.file);
  assert.match(md, /\| heap start → end \|/);
  assert.match(md, /\| V8 heap used: 12\.0 MiB → 12\.0 MiB \|/);
  assert.match(md, /\| Go heap in use: 5\.0 MiB → 5\.0 MiB \|/);
  assert.equal(c.heap.config.options?.plugins?.title?.text, "soak: RSS (solid) against each runtime's heap (dashed)");
  const twoNode = comparisonMarkdown(
    comparison(nodeDir, 'soak', [
      { label: 'a', dir: nodeDir },
      { label: 'b', dir: nodeDir },
    ]).file,
  );
  assert.match(twoNode, /\| V8 heap start → end \|/);
  assert.doesNotMatch(twoNode, /Go heap/);
});
