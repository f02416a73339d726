/**
 * Golden tests of the report: every committed run directory under test/fixtures/runs renders
 * summary.md, summary.json and each chart's datasets (what is drawn, not the pixels) exactly as
 * the files committed under test/golden/<run>/; the comparison of the two soaks renders
 * compare.md, compare.json and its charts' datasets as test/golden/compare-soak/. Any change to the analysis, the verdict's
 * words, the tables or the charts' series shows here as a failing test and a diff in review.
 *
 * After an intended change: `npm run test:golden -- --update` rewrites the golden files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise } from '../../src/analyse/summarise.ts';
import { loadChart, memoryChart } from '../../src/report/charts.ts';
import { comparison, comparisonMarkdown } from '../../src/report/compare.ts';
import type { LineConfig } from '../../src/report/chart-canvas.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { jsonText } from '../../src/rundir/json.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { tempDir } from '../helpers/synthetic-run.ts';
import { materialise } from '../helpers/fixture-run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = join(ROOT, 'test/fixtures/runs');
const GOLDEN = join(ROOT, 'test/golden');
const UPDATE = process.env.LEAKBENCH_UPDATE_GOLDEN === '1';
const REFRESH = 'npm run test:golden -- --update';

const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);

/** The data of a chart: titles, each dataset's style and points, and the timeline's marks. */
function chartData(spec: { config: LineConfig; noData?: string }): unknown {
  const o = spec.config.options ?? {};
  const plugins = o.plugins ?? {};
  const annotations = (plugins as { annotation?: { annotations?: unknown } }).annotation?.annotations;
  const scales = Object.fromEntries(
    Object.entries(o.scales ?? {}).map(([id, s]) => [
      id,
      { type: s?.type, title: (s as { title?: { text?: unknown } } | undefined)?.title?.text },
    ]),
  );
  return {
    title: plugins.title?.text,
    subtitle: plugins.subtitle?.display === false ? undefined : plugins.subtitle?.text,
    scales,
    noData: spec.noData,
    datasets: spec.config.data.datasets.map((d) => ({
      label: d.label,
      yAxisID: d.yAxisID,
      borderColor: d.borderColor,
      borderWidth: d.borderWidth,
      borderDash: d.borderDash,
      points: d.data.length,
      data: d.data.map((p) => [round(p.x), round(p.y)]),
    })),
    // Functions (label callbacks) are not data; JSON drops them.
    annotations: JSON.parse(JSON.stringify(annotations ?? {})) as unknown,
  };
}

/** JSON as the pack writes it, with each [x, y] point on one line so diffs stay readable. */
function chartsText(value: unknown): string {
  return jsonText(value).replace(/\[\n\s+(-?[\d.e+-]+|null),\n\s+(-?[\d.e+-]+|null)\n\s+\]/g, '[$1, $2]');
}

function rendered(runDir: string): Record<string, string> {
  const data = readRunDir(runDir);
  const summary = summarise(data);
  return {
    'summary.md': renderMarkdown(summary, data.run),
    'summary.json': jsonText(summary),
    'charts.json': chartsText({
      memory: chartData(memoryChart(data, summary)),
      load: chartData(loadChart(data, summary)),
    }),
  };
}

/** Where two texts first differ, as line numbers and the two lines. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  golden:   ${a[i] ?? '(end of file)'}\n  rendered: ${b[i] ?? '(end of file)'}`;
  }
  return 'identical';
}

/** The comparison report over two fixture runs, as `npm run scenario:compare` renders it. */
function renderedComparison(scenario: string, runs: Record<string, string>, baseline?: string): Record<string, string> {
  const dir = tempDir('leakbench-golden-');
  const compared = Object.entries(runs).map(([label, fixture]) => {
    mkdirSync(join(dir, label));
    return { label, dir: materialise(join(RUNS, fixture), join(dir, label)) };
  });
  const c = comparison(dir, scenario, compared, baseline);
  return {
    'compare.md': comparisonMarkdown(c.file),
    'compare.json': jsonText(c.file),
    'charts.json': chartsText({ rss: chartData(c.rss), heap: chartData(c.heap), byRequests: chartData(c.byRequests) }),
  };
}

const fixtures = readdirSync(RUNS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const COMPARISONS: Record<string, () => Record<string, string>> = {
  'compare-soak': () => renderedComparison('soak', { plain: 'soak-plain', race: 'soak-race' }),
  // --baseline plain: the race build against the plain one (runs of one burst: decided by verdict kinds).
  'compare-soak-baseline': () => renderedComparison('soak', { plain: 'soak-plain', race: 'soak-race' }, 'plain'),
};
const cases: Record<string, () => Record<string, string>> = {
  ...Object.fromEntries(fixtures.map((name) => [name, () => rendered(materialise(join(RUNS, name)))])),
  ...COMPARISONS,
};

test('there are golden files for every fixture run, and no others', () => {
  assert.ok(fixtures.length >= 5, `fixtures: ${fixtures.join(', ')}`);
  const folders = () =>
    existsSync(GOLDEN)
      ? readdirSync(GOLDEN, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort()
      : [];
  if (UPDATE) {
    for (const f of folders()) if (!(f in cases)) rmSync(join(GOLDEN, f), { recursive: true });
    return;
  }
  assert.deepEqual(folders(), Object.keys(cases).sort(), `golden folders and fixture runs differ; ${REFRESH}`);
});

for (const [name, render] of Object.entries(cases)) {
  test(`the report of ${name} matches test/golden/${name}`, () => {
    const out = render();
    const dir = join(GOLDEN, name);
    for (const [file, text] of Object.entries(out)) {
      const path = join(dir, file);
      // A machine's own paths must never reach a golden file (temp dirs, checkouts).
      assert.doesNotMatch(text, /\/tmp\/|leakbench-golden-/, `${file} mentions a temporary path`);
      if (UPDATE) {
        mkdirSync(dirname(path), { recursive: true });
        if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
          writeFileSync(path, text);
          console.log(`updated ${relative(ROOT, path)}`);
        }
        continue;
      }
      assert.ok(existsSync(path), `${relative(ROOT, path)} is missing; ${REFRESH}`);
      const golden = readFileSync(path, 'utf8');
      if (golden !== text)
        assert.fail(
          `${relative(ROOT, path)} differs from what the report renders now, at ${firstDifference(golden, text)}\nIf the change is intended: ${REFRESH}`,
        );
    }
  });
}

test('a changed run changes its report: the comparison is not blind', () => {
  const dir = materialise(join(RUNS, fixtures[0]!));
  const samples = join(dir, 'samples.ndjson');
  const lines = readFileSync(samples, 'utf8').split('\n');
  // One sample's RSS a mebibyte higher: the summary's peak or the chart's series must move.
  const i = Math.floor(lines.length / 2);
  const s = JSON.parse(lines[i]!) as { vmRss?: number };
  s.vmRss = (s.vmRss ?? 0) + 2 ** 20;
  lines[i] = JSON.stringify(s);
  writeFileSync(samples, lines.join('\n'));
  const golden = join(GOLDEN, fixtures[0]!, 'charts.json');
  if (!existsSync(golden)) return;
  assert.notEqual(rendered(dir)['charts.json'], readFileSync(golden, 'utf8'));
});
