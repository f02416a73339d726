import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../../src/report/render.ts';
import { appendStepSummary } from '../../src/report/step-summary.ts';
import { writeJsonAtomic } from '../../src/rundir/json.ts';
import { FILES } from '../../src/rundir/schema.ts';
import { leakingBurstRun, tempDir, writeSyntheticRun } from '../helpers/synthetic-run.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

test('without $GITHUB_STEP_SUMMARY nothing is written', async () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  await renderReport(dir);
  assert.equal(appendStepSummary(dir, {}), undefined);
  assert.equal(appendStepSummary(dir, { GITHUB_STEP_SUMMARY: '' }), undefined);
});

test('each run appends its headline, load and memory tables; a verdict when the summary has one', async () => {
  const file = join(tempDir('leakbench-gh-'), 'step-summary.md');
  writeFileSync(file, '# earlier step\n');
  const first = writeSyntheticRun(leakingBurstRun());
  await renderReport(first);
  // A summary from before verdicts existed.
  const { diagnosis: _dropped, ...older } = JSON.parse(readFileSync(join(first, FILES.summary), 'utf8')) as SummaryFile;
  writeJsonAtomic(join(first, FILES.summary), older);
  assert.equal(appendStepSummary(first, { GITHUB_STEP_SUMMARY: file }), file);

  const second = writeSyntheticRun(leakingBurstRun());
  await renderReport(second);
  const summaryPath = join(second, FILES.summary);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as SummaryFile;
  writeJsonAtomic(summaryPath, {
    ...summary,
    diagnosis: {
      ...summary.diagnosis!,
      verdict: {
        ...summary.diagnosis!.verdict,
        summary: 'RSS grew | while the heap did not',
        evidence: ['RSS +250 MiB'],
      },
    },
  });
  appendStepSummary(second, { GITHUB_STEP_SUMMARY: file });

  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('# earlier step\n'), 'appends, never truncates');
  assert.equal(text.match(/^### leakbench: burst against race \(completed\)$/gm)?.length, 2);
  assert.equal(text.match(/^\*\*RSS grew from 30\.0 MiB to 280\.0 MiB/gm)?.length, 2);
  assert.equal(text.match(/^\| phase \| kind \| requested \|/gm)?.length, 2);
  assert.equal(text.match(/^\| RSS \(VmRSS\) \| 101 \| 30\.0 MiB \|/gm)?.length, 2);
  // Only the second has a verdict; text from the summary is escaped for the table-free line too.
  assert.equal(text.match(/verdict:/g)?.length, 1);
  assert.match(text, /^❌ \*\*verdict: growth-outside-go-runtime\*\* — RSS grew \\\| while the heap did not$/m);
  assert.match(text, /^- RSS \+250 MiB$/m);
  assert.ok(text.includes(`\`${second}\``));
});

test('a run directory without a summary is an error the caller can report', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  const file = join(tempDir('leakbench-gh-'), 'summary.md');
  assert.throws(() => appendStepSummary(dir, { GITHUB_STEP_SUMMARY: file }), /summary\.json: file is missing/);
  assert.ok(!existsSync(file));
});
