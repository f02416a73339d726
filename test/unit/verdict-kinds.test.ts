/**
 * The verdict kinds' table (src/analyse/verdict-kinds.ts) against everything that shows a
 * verdict: every kind, with every runtime's words, is walked through summary.md, index.html,
 * junit.xml, the GitHub step summary, the Action's outputs and compare.md, and each must be drawn
 * as its class. What each class must look like is written out here, apart from the table, so a
 * table or an output that drifts fails. action.yml's description and docs/verdicts.md are checked
 * against the table too (LEAKBENCH_UPDATE_DOCS=1 rewrites the docs' generated block).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { collectResult, verdictOutputDescriptions } from '../../src/action/results.ts';
import { GROWTH_VERDICTS, isGrowthKind } from '../../src/analyse/diagnosis.ts';
import { summarise } from '../../src/analyse/summarise.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import {
  ALL_VERDICT_KINDS,
  KIND_CLASSES,
  VERDICT_KINDS,
  type KindClass,
  type VerdictKind,
} from '../../src/analyse/verdict-kinds.ts';
import { cannotTellWords, plateauCannotTell, PROFILES } from '../../src/analyse/runtime-profiles.ts';
import { ExitCode } from '../../src/errors.ts';
import { comparisonMarkdown, COMPARE_SCHEMA } from '../../src/report/compare.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderStepSummary } from '../../src/report/step-summary.ts';
import { KINDS_DOC, withKindsTable } from '../../src/report/verdict-kinds-doc.ts';
import { failOnReason } from '../../src/run/fail-on.ts';
import { writeJsonAtomic } from '../../src/rundir/json.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { FILES, type RunFile, type RuntimeName } from '../../src/rundir/schema.ts';
import { leakingBurstRun, tempDir, writeSyntheticRun } from '../helpers/synthetic-run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What each class must look like in each output, written apart from the table. */
const DRAWN: Record<
  KindClass,
  { html: string; junit: 'failure' | 'skipped' | 'passed'; mark: string; gate: boolean; words: RegExp }
> = {
  growth: { html: 'verdict-growth', junit: 'failure', mark: '❌', gate: true, words: /growth/ },
  bounded: { html: 'verdict-bounded', junit: 'passed', mark: '☑️', gate: false, words: /not a leak/ },
  stable: { html: 'verdict-ok', junit: 'passed', mark: '✅', gate: false, words: /stable/ },
  'cannot-tell': { html: 'verdict-unknown', junit: 'skipped', mark: '⚠️', gate: false, words: /cannot tell/ },
};

const RUNTIMES: (RuntimeName | 'unknown')[] = ['go', 'node', 'python', 'jvm', 'other', 'unknown'];

test('kinds whose name says growth are of the growth class and fail --fail-on growth; stable is stable', () => {
  for (const kind of ALL_VERDICT_KINDS) {
    if (kind.endsWith('-growth')) assert.equal(VERDICT_KINDS[kind].class, 'growth', kind);
    assert.equal(isGrowthKind(kind), VERDICT_KINDS[kind].class === 'growth', kind);
    assert.equal(GROWTH_VERDICTS.includes(kind), VERDICT_KINDS[kind].class === 'growth', kind);
  }
  assert.equal(VERDICT_KINDS.stable.class, 'stable');
  for (const kind of ['thread-growth', 'heap-growth', 'growth-outside-runtime', 'rss-growth'] as const)
    assert.ok(isGrowthKind(kind), kind);
  for (const c of Object.keys(DRAWN) as KindClass[]) assert.equal(KIND_CLASSES[c].failsGrowthGate, DRAWN[c].gate, c);
  // Every kind a runtime's decision can name is in the table.
  for (const rt of RUNTIMES)
    for (const kind of Object.values(PROFILES[rt].kinds)) assert.ok(ALL_VERDICT_KINDS.includes(kind), `${rt}: ${kind}`);
  assert.equal(isGrowthKind('none'), false);
});

/** One real summary (a synthetic leaking burst, analysed), its verdict then set to each kind in turn. */
function baseRun(): { dir: string; summary: SummaryFile; run: RunFile } {
  const dir = writeSyntheticRun(leakingBurstRun());
  const data = readRunDir(dir);
  return { dir, summary: summarise(data), run: data.run };
}

function withKind(summary: SummaryFile, kind: VerdictKind, runtime: RuntimeName | 'unknown'): SummaryFile {
  const d = summary.diagnosis!;
  return {
    ...summary,
    diagnosis: {
      ...d,
      runtime: { name: runtime, from: 'the test' },
      verdict: { ...d.verdict, kind, summary: `the ${kind} summary`, evidence: [`the ${kind} evidence`] },
    },
  };
}

function junitVerdictOutcome(xml: string): string {
  const m = /<testcase classname="[^"]*\.memory" name="verdict: ([^"]*)"[^>]*?(\/>|>\s*<(failure|skipped))/.exec(xml);
  assert.ok(m, xml);
  return m[3] ?? 'passed';
}

test('every kind, in every runtime, is drawn as its class in summary.md, index.html, junit.xml, the step summary, the Action outputs and compare.md', () => {
  const { dir, summary, run } = baseRun();
  const png = Buffer.alloc(0);
  for (const kind of ALL_VERDICT_KINDS) {
    const cls = VERDICT_KINDS[kind].class;
    const want = DRAWN[cls];
    for (const rt of RUNTIMES) {
      const s = withKind(summary, kind, rt);
      const at = `${kind} (${rt})`;
      const title = (rt !== 'unknown' && VERDICT_KINDS[kind].runtimeTitles?.[rt]) || VERDICT_KINDS[kind].title;

      const md = renderMarkdown(s, run);
      assert.ok(md.includes(`## Verdict: ${title}\n`), `${at}: summary.md title\n${md.slice(0, 600)}`);
      const kindLine = /^Kind: (.*)$/m.exec(md)?.[1] ?? '';
      assert.ok(kindLine.startsWith(kind), `${at}: ${kindLine}`);
      assert.match(kindLine, want.words, at);
      assert.match(kindLine, want.gate ? /--fail-on growth fails the run/ : /--fail-on growth passes/, at);

      const html = renderHtml(s, run, { memory: png, load: png });
      const tone = /<section class="verdict ([\w-]+)">/.exec(html)?.[1];
      assert.equal(tone, want.html, `${at}: index.html`);
      if (cls === 'growth') assert.notEqual(tone, 'verdict-ok', `${at}: growth is never drawn healthy`);

      assert.equal(junitVerdictOutcome(renderJunit(s, run)), want.junit, `${at}: junit.xml`);

      const step = renderStepSummary(s, run, dir);
      assert.ok(step.includes(`${want.mark} **verdict: ${kind}**`), `${at}: step summary\n${step}`);

      const reason = failOnReason({ growth: true }, s);
      assert.equal(reason !== undefined, want.gate, `${at}: --fail-on growth`);
    }
    actionOutputs(kind, summary, run, want);
    const compare = comparisonMarkdown({
      schema: COMPARE_SCHEMA,
      scenario: 'soak',
      runs: [{ label: 'build', dir: 'build', status: 'completed', requests: 1, verdict: kind, evidence: 'e' }],
    });
    const line = /^- \*\*build\*\* \(([^)]*)\)/m.exec(compare)?.[1] ?? '';
    assert.ok(line.replace(/\\/g, '').startsWith(kind), `${kind}: compare.md ${line}`);
    assert.match(line, want.words, `${kind}: compare.md`);
  }
});

/** The Action's outputs for a run with this kind, gated on growth. */
function actionOutputs(kind: VerdictKind, summary: SummaryFile, run: RunFile, want: (typeof DRAWN)[KindClass]): void {
  const cwd = tempDir('leakbench-action-');
  const dir = join(cwd, 'run');
  mkdirSync(dir);
  writeJsonAtomic(join(dir, FILES.summary), withKind(summary, kind, 'go'));
  writeJsonAtomic(join(dir, FILES.run), run);
  const inv = { mode: 'run' as const, argv: [], dir: 'run', labels: ['run'], gate: ['run'], failOn: { growth: true } };
  const r = collectResult(inv, ExitCode.ok, cwd, cwd);
  assert.equal(r.outputs.verdict, kind);
  assert.equal(r.outputs['verdict-class'], VERDICT_KINDS[kind].class);
  assert.equal(r.exitCode, want.gate ? ExitCode.memoryGrowth : ExitCode.ok, `${kind}: the Action's gate`);
  assert.equal(r.stepSummary.includes('(memory growth)'), want.gate, r.stepSummary);
}

test("action.yml's verdict and verdict-class descriptions are the ones the table gives (LEAKBENCH_UPDATE_DOCS=1 rewrites them)", () => {
  const file = join(ROOT, 'action.yml');
  const want = verdictOutputDescriptions();
  if (process.env.LEAKBENCH_UPDATE_DOCS === '1') {
    let text = readFileSync(file, 'utf8');
    for (const name of ['verdict', 'verdict-class'] as const)
      text = text.replace(
        new RegExp(`^(  ${name}:\\n    description: ).*$`, 'm'),
        (_m, head: string) => head + want[name],
      );
    writeFileSync(file, text);
  }
  const action = parseYaml(readFileSync(file, 'utf8')) as { outputs: Record<string, { description: string }> };
  for (const name of ['verdict', 'verdict-class'] as const)
    assert.equal(
      action.outputs[name]?.description,
      want[name],
      `action.yml outputs.${name}.description must read:\n${want[name]}`,
    );
  for (const kind of ALL_VERDICT_KINDS) assert.ok(want.verdict.includes(kind), kind);
});

test('docs/verdicts.md shows the table as it is (LEAKBENCH_UPDATE_DOCS=1 rewrites it)', () => {
  const file = join(ROOT, KINDS_DOC.file);
  const doc = readFileSync(file, 'utf8');
  const now = withKindsTable(doc);
  if (process.env.LEAKBENCH_UPDATE_DOCS === '1') writeFileSync(file, now);
  else
    assert.equal(
      doc,
      now,
      `${KINDS_DOC.file} is out of date: LEAKBENCH_UPDATE_DOCS=1 node --import tsx --test ${fileURLToPath(import.meta.url).slice(ROOT.length)}`,
    );
  for (const kind of ALL_VERDICT_KINDS) assert.ok(now.includes(`| \`${kind}\` |`), kind);
});

test('cannot-tell, for the decision: a plateau without a heap figure on a collected heap, and what would tell', () => {
  const noHeap = [{ t: 0, vmRss: 1 }];
  for (const rt of ['go', 'node', 'jvm'] as const) {
    assert.equal(plateauCannotTell(PROFILES[rt], noHeap), true, rt);
    const w = cannotTellWords(PROFILES[rt], 'http://127.0.0.1:8080');
    assert.match(w.summary, /cannot tell/);
    assert.ok(w.suggestions[0]!.includes(PROFILES[rt].metricsHint), rt);
  }
  assert.equal(plateauCannotTell(PROFILES.go, [{ t: 0, vmRss: 1, heapInuse: 1 }]), false, 'the Go heap was sampled');
  assert.equal(plateauCannotTell(PROFILES.python, noHeap), false, 'no collected heap figure to ask for');
  assert.equal(plateauCannotTell(PROFILES.unknown, noHeap), false, 'the runtime is not known');
  assert.equal(VERDICT_KINDS['cannot-tell'].class, 'cannot-tell');
});

test("each runtime's next steps name its own tools, not another runtime's", () => {
  const base = 'http://127.0.0.1:8080';
  const tools = (rt: RuntimeName | 'unknown') => `${PROFILES[rt].taskTool(base)}\n${PROFILES[rt].heapTool(base)}`;
  assert.match(PROFILES.jvm.taskTool(base), /jcmd PID Thread\.print/);
  assert.match(PROFILES.python.taskTool(base), /py-spy dump --pid PID/);
  assert.match(PROFILES.python.heapTool(base), /tracemalloc/);
  assert.match(PROFILES.go.taskTool(base), /\/debug\/pprof\/goroutine/);
  assert.match(PROFILES.go.heapTool(base), /\/debug\/pprof\/heap/);
  assert.match(PROFILES.node.heapTool(base), /--inspect/);
  const foreign: Record<string, RegExp> = {
    go: /jcmd|jstack|py-spy|tracemalloc|--inspect/,
    node: /jcmd|jstack|py-spy|tracemalloc|pprof/,
    python: /jcmd|jstack|--inspect|pprof/,
    jvm: /py-spy|tracemalloc|--inspect|pprof/,
  };
  for (const [rt, re] of Object.entries(foreign)) assert.doesNotMatch(tools(rt as RuntimeName), re, rt);
});
