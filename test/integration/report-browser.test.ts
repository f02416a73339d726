/**
 * The pages as a person opens them, in headless Chromium (Debian's, driven by playwright-core):
 * the live view of a real run against the bundled target while it runs, and that run's
 * index.html from the file system as a CI artifact would be, with the network cut off.
 * Screenshots of both are saved into the run directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { FILES } from '../../src/rundir/schema.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { freePort } from '../../src/target/free-port.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { requireTool } from '../helpers/tools.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-browser-'));
const dir = join(out, 'browser');
/** The run both tests look at: the live test starts it, the report test opens what it wrote. */
let run: Promise<CliResult> | undefined;

/**
 * On this machine's closed network Chromium's background services (updates, sync, safe
 * browsing) fail their connections and log errors of their own; they are switched off so that
 * every console error left is the page's.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function browser(executablePath: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'leakbench-chromium-')), {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
}

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

interface LiveView {
  messages: number;
  histories: number;
  redraws: number;
  samples: number;
  load: number;
  status: string;
  analysis?: string;
  memoryPoints: number;
}

/** What the page holds and draws, read through the window.leakbench it exposes. */
function readLive(page: Page): Promise<LiveView> {
  return page.evaluate(() => {
    interface Live {
      messages: number;
      histories: number;
      redraws: number;
      state?: {
        samples: unknown[];
        load: unknown[];
        run: { status: string };
        end?: { status: string };
        analysis?: { rates: { text: string }[] };
      };
    }
    interface Charts {
      memory: { data: { datasets: { data: unknown[] }[] } };
    }
    const lb = (globalThis as unknown as { leakbench: { live: Live; charts?: Charts } }).leakbench;
    const s = lb.live.state;
    return {
      messages: lb.live.messages,
      histories: lb.live.histories,
      redraws: lb.live.redraws,
      samples: s?.samples.length ?? 0,
      load: s?.load.length ?? 0,
      status: s?.end?.status ?? s?.run.status ?? 'none',
      ...(s?.analysis?.rates[0] && { analysis: s.analysis.rates[0].text }),
      memoryPoints: lb.charts?.memory.data.datasets[0]?.data.length ?? 0,
    };
  });
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('live view: a browser watching a real run sees samples, load and the growth so far arrive, then the end', async (t) => {
  const executablePath = requireTool(t, 'chromium', 'apt-get install chromium', ['/usr/bin']);
  if (executablePath === undefined) return;
  const port = await freePort();
  // A soak, so the page shows idle and burst phases; small enough to take about 20 s.
  run = runCli(
    [
      'run',
      'soak',
      // One burst: the page's phase table below names it `burst`.
      '--bursts',
      '1',
      '--variant',
      'plain',
      '--idle-before',
      '4s',
      '--requests',
      '40000',
      '--connections',
      '20',
      '--idle-after',
      '6s',
      '--rate',
      '4',
      '--sample-interval',
      '250ms',
      '--settle',
      '1s',
      '--out',
      out,
      '--name',
      'browser',
      '--live',
      String(port),
    ],
    { timeoutMs: 180_000 },
  );
  const url = `http://127.0.0.1:${port}/`;
  // The page is served from before the target is ready until the report is written.
  await until(
    'the live view answering',
    () =>
      fetch(url).then(
        (r) => r.status,
        () => 0,
      ),
    (s) => s === 200,
    60_000,
  );

  const context = await browser(executablePath);
  try {
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(url);
    assert.equal(await page.title(), 'leakbench live');
    const early = await until(
      'a first history with samples',
      () => readLive(page),
      (v) => v.histories === 1 && v.samples > 0,
      30_000,
    );
    // Updates arrive on the open stream (no reload): more samples, per-second load, a provisional rate.
    const later = await until(
      'samples, load and a growth rate arriving',
      () => readLive(page),
      (v) => v.samples >= early.samples + 8 && v.load > 0 && v.analysis !== undefined && v.redraws > early.redraws,
      60_000,
    );
    assert.equal(later.histories, 1, 'no reconnection was needed');
    assert.ok(later.memoryPoints > 0, 'the memory chart draws the samples');
    // The first analyses can come before a window holds enough samples ("not enough data"); a
    // fitted rate with its interval follows within a few analyses (one every 5 s).
    const growth = await until(
      'a provisional rate with its 95% CI',
      () => page.locator('#growth').innerText(),
      (text) => /95% CI/.test(text),
      30_000,
    );
    assert.match(growth, /provisional[\s\S]*95% CI/);
    await page.screenshot({ path: join(out, 'live-running.png') });

    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, new RegExp(`live view: http://127\\.0\\.0\\.1:${port}/`));
    const final = await until(
      'the end of the run on the page',
      () => readLive(page),
      (v) => v.status === 'completed',
      15_000,
    );
    const onDisk = readFileSync(join(dir, FILES.samples), 'utf8').trim().split('\n').length - 1;
    assert.equal(final.samples, onDisk, 'the page ends with every sample the run wrote');
    assert.match(await page.locator('#end').innerText(), /run completed — report: .*index\.html/);
    assert.match(await page.locator('#counts').innerText(), /burst\s+40,000\s+0\s+0\s+0/);
    await page.screenshot({ path: join(dir, 'live-screenshot.png'), fullPage: true });
    assert.ok(statSync(join(dir, 'live-screenshot.png')).size > 10_000);
    // The port closes with the run.
    assert.equal(
      await fetch(url).then(
        () => 'open',
        () => 'closed',
      ),
      'closed',
    );
    assert.deepEqual(problems, []);
    t.diagnostic(`live screenshot: ${join(dir, 'live-screenshot.png')}`);
  } finally {
    await context.close();
  }
});

test('index.html of that run opens from file:// with the network cut off: charts drawn in the page, zoom and toggles work, screenshot saved', async (t) => {
  const executablePath = requireTool(t, 'chromium', 'apt-get install chromium', ['/usr/bin']);
  if (executablePath === undefined) return;
  assert.ok(run, 'the live test started the run');
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')) as SummaryFile;

  const context = await browser(executablePath);
  try {
    const blocked: string[] = [];
    // Everything but the file itself is refused: the page must need nothing from a network.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:')) return route.continue();
      blocked.push(u.slice(0, 120));
      return route.abort();
    });
    const page = await context.newPage();
    const problems = watchProblems(page);
    page.on('requestfailed', (req) =>
      problems.push(`request failed: ${req.url().slice(0, 120)} (${req.failure()?.errorText ?? '?'})`),
    );

    const response = await page.goto(pathToFileURL(join(dir, FILES.html)).href, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), 'index.html did not load');
    assert.equal(await page.title(), 'leakbench: soak against plain');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset
          .charts === 'ready',
    );

    interface ChartView {
      min: number;
      max: number;
      visible: boolean[];
      labels: string[];
      points: number[];
    }
    const view = (name: 'memory' | 'load') =>
      page.evaluate((n) => {
        interface C {
          scales: { x: { min: number; max: number } };
          data: { datasets: { label?: string; data: unknown[] }[] };
          isDatasetVisible(i: number): boolean;
        }
        const c = (globalThis as unknown as { leakbench: { charts: Record<string, C> } }).leakbench.charts[n]!;
        return {
          min: c.scales.x.min,
          max: c.scales.x.max,
          visible: c.data.datasets.map((_d, i) => c.isDatasetVisible(i)),
          labels: c.data.datasets.map((d) => d.label ?? ''),
          points: c.data.datasets.map((d) => d.data.length),
        };
      }, name) as Promise<ChartView>;

    const memory = await view('memory');
    assert.ok(
      memory.labels.includes('RSS (VmRSS)') && memory.labels.includes('Go heap in use'),
      memory.labels.join(', '),
    );
    assert.equal(memory.min, 0);
    assert.ok(memory.max >= summary.durationS - 0.01, `the x axis spans the run (${memory.max} s)`);
    assert.ok(memory.points.every((n) => n > 1));

    // Zoom: the mouse wheel over the plot narrows the time axis, and the load chart follows.
    const canvas = page.locator('#memory-chart');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const before = await canvas.screenshot();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.6);
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -400);
    await until(
      'zoomed',
      () => view('memory'),
      (v) => v.max - v.min < (memory.max - memory.min) * 0.8,
      5000,
    );
    const same = (a: ChartView, b: ChartView) => Math.abs(a.min - b.min) < 1e-6 && Math.abs(a.max - b.max) < 1e-6;
    const [zoomed] = await until(
      'the load chart showing the same range',
      async () => [await view('memory'), await view('load')] as const,
      ([m, l]) => same(m, l),
      5000,
    );
    // Drag pans along the axis.
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6, { steps: 8 });
    await page.mouse.up();
    const panned = await view('memory');
    assert.ok(panned.min > zoomed.min, `dragging left moves the window later (${zoomed.min} → ${panned.min})`);
    const afterZoom = await canvas.screenshot();
    assert.notDeepEqual(afterZoom, before, 'zooming changed what is drawn');

    // A tooltip names the value and the phase.
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const tooltip = await page.evaluate(() => {
      interface T {
        title: string[];
        body: { lines: string[] }[];
        footer: string[];
      }
      const c = (globalThis as unknown as { leakbench: { charts: { memory: { tooltip: T } } } }).leakbench.charts
        .memory;
      return [...c.tooltip.title, ...c.tooltip.body.flatMap((b) => b.lines), ...c.tooltip.footer].join('\n');
    });
    assert.match(tooltip, /t = [\d.]+ s/);
    assert.match(tooltip, /MiB/);
    assert.match(tooltip, /phase: /);

    // Toggle: a click on the first legend entry hides that series, and it is no longer drawn.
    const hit = await page.evaluate(() => {
      interface L {
        legendHitBoxes: { left: number; top: number; width: number; height: number }[];
      }
      const c = (globalThis as unknown as { leakbench: { charts: { memory: { legend: L } } } }).leakbench.charts.memory;
      const b = c.legend.legendHitBoxes[0]!;
      return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
    });
    await page.dblclick(`#memory-chart`, { position: { x: box.width / 2, y: box.height * 0.6 } });
    const reset = await view('memory');
    assert.equal(reset.min, 0, 'double-click resets the zoom');
    const beforeToggle = await canvas.screenshot();
    // Chart.js lays out in CSS pixels of the canvas, as the page's coordinates are.
    // Chart.js handles pointer events on its next animation frame: wait for it, briefly.
    await page.mouse.click(box.x + hit.x, box.y + hit.y);
    const toggled = await until(
      'the first series hidden by its legend entry',
      () => view('memory'),
      (v) => v.visible[0] === false,
      3000,
    );
    assert.ok(toggled.visible.slice(1).every(Boolean));
    assert.notDeepEqual(await canvas.screenshot(), beforeToggle, 'hiding a series changed what is drawn');
    await page.mouse.click(box.x + hit.x, box.y + hit.y);
    await until(
      'a second click showing it again',
      () => view('memory'),
      (v) => v.visible[0] === true,
      3000,
    );

    // The page says what summary.json says.
    const text = await page.locator('body').innerText();
    assert.ok(text.includes(summary.headline), 'headline missing from the page');
    assert.match(text, /40,000/);

    // The JUnit file beside the report is well-formed XML to a real parser, with the cases expected.
    const junit = readFileSync(join(dir, FILES.junit), 'utf8');
    const parsed = await page.evaluate((xml) => {
      // Runs in the page; the project's TypeScript has no DOM library, so the parser is typed here.
      interface Node {
        textContent: string | null;
        getAttribute(name: string): string | null;
        querySelector(sel: string): Node | null;
        querySelectorAll(sel: string): Iterable<Node>;
      }
      const Parser = (
        globalThis as unknown as { DOMParser: new () => { parseFromString(text: string, type: string): Node } }
      ).DOMParser;
      const doc = new Parser().parseFromString(xml, 'application/xml');
      const error = doc.querySelector('parsererror');
      return {
        error: error?.textContent ?? null,
        cases: [...doc.querySelectorAll('testcase')].map(
          (c) =>
            `${c.getAttribute('name')}${c.querySelector('failure') ? ' FAILED' : c.querySelector('skipped') ? ' skipped' : ''}`,
        ),
      };
    }, junit);
    assert.equal(parsed.error, null, `junit.xml does not parse: ${parsed.error}`);
    assert.deepEqual(parsed.cases.slice(0, 4), ['run completed', 'errors == 0', 'non-2xx == 0', 'sent == requested']);

    // Zoomed into the burst for the screenshot, as a reader would look at it.
    const burst = summary.load.find((l) => l.kind === 'burst')!;
    const phase = JSON.parse(readFileSync(join(dir, FILES.run), 'utf8')) as {
      phases: { name: string; startT: number; endT: number }[];
    };
    const span = phase.phases.find((p) => p.name === burst.phase)!;
    await page.evaluate(
      ([a, b]) => {
        const c = (
          globalThis as unknown as {
            leakbench: { charts: { memory: { zoomScale(id: string, r: { min: number; max: number }): void } } };
          }
        ).leakbench.charts.memory;
        c.zoomScale('x', { min: a!, max: b! });
      },
      [Math.max(0, span.startT - 2), span.endT + 2],
    );
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
    const screenshot = join(dir, 'report-screenshot.png');
    await canvas.screenshot({ path: join(dir, 'report-zoomed.png') });
    await page.screenshot({ path: screenshot, fullPage: true });
    const shot = await loadImage(readFileSync(screenshot));
    assert.equal(shot.width, 1280);
    assert.ok(shot.height > 900, `a full-page screenshot should be taller than the viewport, got ${shot.height}`);

    assert.deepEqual(blocked, [], 'the page asked for nothing beyond the file');
    assert.deepEqual(problems, []);
    t.diagnostic(`screenshots: ${screenshot}, ${join(dir, 'report-zoomed.png')}`);
  } finally {
    await context.close();
  }
});
