import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage } from '@napi-rs/canvas';
import { summarise } from '../../src/analyse/summarise.ts';
import { renderLoadChart, renderMemoryChart } from '../../src/report/charts.ts';
import { downsample, downsampleSegments, type Point } from '../../src/report/downsample.ts';
import { escapeHtml, renderHtml } from '../../src/report/html.ts';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.ts';
import { renderReport } from '../../src/report/render.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { FILES } from '../../src/rundir/schema.ts';
import {
  baseRunFile,
  interruptedIdleRun,
  leakingBurstRun,
  sawtoothAttachRun,
  writeSyntheticRun,
  type SyntheticRun,
} from '../helpers/synthetic-run.ts';

async function pngSize(buffer: Buffer): Promise<{ width: number; height: number }> {
  const img = await loadImage(buffer);
  return { width: img.width, height: img.height };
}

function hostileRun(): SyntheticRun {
  const spec = leakingBurstRun();
  spec.run.scenario = '<script>alert(1)</script>';
  spec.run.target.label = 'race|plain';
  spec.run.target.command = 'go run . `id` <x>';
  spec.events!.push({ t: 50, type: 'warning', message: '<img src=x onerror=alert(2)> & "q"' });
  return spec;
}

test('renders all six files into the run directory, summary.json first', async () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  const out = await renderReport(dir);
  const names = [FILES.summary, FILES.memoryPng, FILES.loadPng, FILES.summaryMd, FILES.html, FILES.junit];
  assert.deepEqual(
    out.files,
    names.map((n) => join(dir, n)),
  );
  for (const n of names) assert.ok(existsSync(join(dir, n)), `${n} was not written`);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')), out.summary);
  assert.deepEqual(out.warnings, out.summary.warnings);
});

test('the PNGs decode at their chart sizes', async () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  await renderReport(dir);
  assert.deepEqual(await pngSize(readFileSync(join(dir, FILES.memoryPng))), { width: 1200, height: 700 });
  assert.deepEqual(await pngSize(readFileSync(join(dir, FILES.loadPng))), { width: 1200, height: 500 });
});

test('a long run (5,400 samples, minutes axis, a target exit, log-scale load) renders', async () => {
  const data = readRunDir(writeSyntheticRun(sawtoothAttachRun()));
  const summary = summarise(data);
  assert.deepEqual(await pngSize(await renderMemoryChart(data, summary)), { width: 1200, height: 700 });
  assert.deepEqual(await pngSize(await renderLoadChart(data, summary, { width: 800, height: 400 })), {
    width: 800,
    height: 400,
  });
});

test('a run with no samples and no load still renders every file', async () => {
  const dir = writeSyntheticRun({
    run: baseRunFile({ status: 'failed', endReason: 'the target exited before it was ready' }),
    samples: [],
    load: null,
    probes: null,
    events: null,
  });
  const out = await renderReport(dir);
  assert.equal(out.files.length, 6);
  assert.match(out.summary.headline, /Not enough samples/);
  assert.deepEqual(await pngSize(readFileSync(join(dir, FILES.memoryPng))), { width: 1200, height: 700 });
  const md = readFileSync(join(dir, FILES.summaryMd), 'utf8');
  assert.match(md, /No memory samples were taken\./);
  assert.match(md, /No load was recorded\./);
  assert.match(md, /\| status \| failed: the target exited before it was ready \|/);
});

test('an idle run rebuilt from probes renders, with pacing in the tables', async () => {
  const dir = writeSyntheticRun(interruptedIdleRun());
  await renderReport(dir);
  const md = readFileSync(join(dir, FILES.summaryMd), 'utf8');
  assert.match(
    md,
    /\| idle \| idle \| 60 \| 10 \| 9 \| 1 \| 1 \| 1 \| 9\.02 s \| 1\.00\/s \| 5\.00 ms \| 10\.0 ms \| 10\.0 ms \| 10\.0 ms \| 4\.00 ms \/ 9\.00 ms \/ 9\.00 ms \|/,
  );
  assert.match(md, /\| idle \| 200 × 8, 503 × 1 \|/);
});

test('rendering the same run directory twice gives identical files', async () => {
  const dir = writeSyntheticRun(sawtoothAttachRun());
  await renderReport(dir);
  const first = [FILES.summary, FILES.summaryMd].map((f) => readFileSync(join(dir, f), 'utf8'));
  await renderReport(dir);
  const second = [FILES.summary, FILES.summaryMd].map((f) => readFileSync(join(dir, f), 'utf8'));
  assert.equal(second[0], first[0]);
  assert.equal(second[1], first[1]);
});

test('HTML escapes every string from the user or the target', async () => {
  const dir = writeSyntheticRun(hostileRun());
  await renderReport(dir);
  const page = readFileSync(join(dir, FILES.html), 'utf8');
  // The page's own three scripts (chart data, the bundled charts, the call that draws them);
  // the hostile strings inside the data are JSON with every '<' escaped.
  assert.equal((page.match(/<script/g) ?? []).length, 3, "only the page's own script elements");
  const data = /<script type="application\/json" id="leakbench-chart-data">([^<]*)<\/script>/.exec(page);
  assert.ok(data, 'the chart data element is there and holds no "<"');
  assert.ok(data[1]!.includes('\\u003cscript>alert(1)\\u003c/script>'));
  const outside = page.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
  assert.equal(outside.includes('<script'), false, "no script element outside the page's own");
  assert.equal(page.includes('<img src=x'), false);
  assert.ok(page.includes('<h1>leakbench: &#60;script&#62;alert(1)&#60;/script&#62; against race|plain</h1>'));
  assert.ok(page.includes('<td>go run . `id` &#60;x&#62;</td>'));
  assert.ok(page.includes('<li>t=50.0 s: &#60;img src=x onerror=alert(2)&#62; &#38; &#34;q&#34;</li>'));
  // The charts are inline (drawn by the page, with the PNGs for readers without scripts), so the page stands alone.
  assert.equal((page.match(/<noscript><img src="data:image\/png;base64,/g) ?? []).length, 2);
});

test('Markdown escapes pipes, backticks and angle brackets so tables keep their columns', () => {
  const data = readRunDir(writeSyntheticRun(hostileRun()));
  const md = renderMarkdown(summarise(data), data.run);
  assert.ok(md.includes('| target | race\\|plain, bundled, race build |'));
  assert.ok(md.includes('| command | go run . \\`id\\` &lt;x&gt; |'));
  assert.ok(md.includes('# leakbench: &lt;script&gt;alert(1)&lt;/script&gt; against race\\|plain'));
  assert.ok(md.includes('- t=50.0 s: &lt;img src=x onerror=alert(2)&gt; &amp; "q"'));
  // Every facts row still has exactly two cells: three unescaped pipes.
  for (const line of md.split('\n').filter((l) => l.startsWith('| target') || l.startsWith('| command'))) {
    assert.equal(line.split(/(?<!\\)\|/).length - 2, 2, line);
  }
  assert.ok(md.includes("![Memory over time: RSS and the runtime's figures](memory.png)"));
  assert.ok(md.includes('![Load over time: requests per second and latency](load.png)'));
});

test('the report tables carry the numbers of the summary', () => {
  const data = readRunDir(writeSyntheticRun(leakingBurstRun()));
  const summary = summarise(data);
  const md = renderMarkdown(summary, data.run);
  assert.ok(md.includes('| RSS (VmRSS) | 101 | 30.0 MiB | 280.0 MiB | 1 min 40 s | 280.0 MiB | +250.0 MiB (+833%) |'));
  assert.ok(md.includes('| goroutines | 101 | 5 | 207 | 5.00 s | 5 | no change |'));
  assert.ok(
    md.includes(
      '| burst | burst | 1,000,000 | 1,000,000 | 999,990 | 10 | 4 | 0 | 1 min 30 s | 11,111/s | 7.50 ms | 12.3 ms | 21.5 ms | 120.8 ms | — |',
    ),
  );
  const page = renderHtml(summary, data.run, { memory: Buffer.from('m'), load: Buffer.from('l') });
  assert.ok(page.includes('<td class="num">+250.0 MiB (+833%)</td>'));
  assert.ok(page.includes('src="data:image/png;base64,bQ=="'));
});

test('escape functions', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  assert.equal(
    escapeMarkdown('a|b `c` <d> *e* [f] ~g~ \\ _h_ snake_case\nnext'),
    'a\\|b \\`c\\` &lt;d&gt; \\*e\\* \\[f\\] \\~g\\~ \\\\ \\_h\\_ snake_case next',
  );
});

test('LTTB downsampling keeps the ends and the spike, within the point budget', () => {
  const points: Point[] = Array.from({ length: 5000 }, (_, i) => ({ x: i, y: i === 2345 ? 1000 : Math.sin(i / 50) }));
  const out = downsample(points, 1000);
  assert.ok(out.length <= 1000, `${out.length} points`);
  assert.deepEqual(out[0], points[0]);
  assert.deepEqual(out.at(-1), points.at(-1));
  assert.ok(
    out.some((p) => p.y === 1000),
    'the spike survived',
  );
  assert.deepEqual(downsample(points.slice(0, 10), 1000), points.slice(0, 10));
});

test('segments are downsampled apart and joined with a null, so the line breaks between them', () => {
  const a: Point[] = Array.from({ length: 3000 }, (_, i) => ({ x: i, y: 1 }));
  const b: Point[] = Array.from({ length: 1000 }, (_, i) => ({ x: 5000 + i, y: 2 }));
  const out = downsampleSegments([a, b], 400);
  assert.ok(out.length <= 401, `${out.length} points`);
  const gaps = out.filter((p) => p.y === null);
  assert.equal(gaps.length, 1);
  assert.ok(gaps[0]!.x > 2999 && gaps[0]!.x < 5000);
});
