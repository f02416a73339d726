/**
 * The report as a person opens it: a real run's index.html in headless Chromium (Debian's,
 * driven by playwright-core), from the file system as a CI artifact would be. Every image
 * must load, nothing may log an error, and a screenshot is saved beside the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { chromium } from 'playwright-core';
import { FILES } from '../../src/rundir/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { requireTool } from '../helpers/tools.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-browser-'));

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

test('index.html of a real run opens in Chromium: every image loads, no console errors, screenshot saved', async (t) => {
  const executablePath = requireTool(t, 'chromium', 'apt-get install chromium', ['/usr/bin']);
  if (executablePath === undefined) return;

  const r = await runCli(['run', 'burst', '--variant', 'plain', '--requests', '20000', '--connections', '20', '--sample-interval', '200ms', '--settle', '1s', '--out', out, '--name', 'browser']);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'browser');
  const summary = JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')) as SummaryFile;

  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'leakbench-chromium-')), {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url().slice(0, 120)} (${req.failure()?.errorText ?? '?'})`));

    const response = await page.goto(pathToFileURL(join(dir, FILES.html)).href, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), 'index.html did not load');
    assert.equal(await page.title(), `leakbench: burst against plain`);

    const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight })));
    assert.ok(images.length >= 2, `only ${images.length} images on the page`);
    for (const img of images) {
      assert.ok(img.complete && img.width > 0 && img.height > 0, `image "${img.alt}" did not load (${img.width}x${img.height})`);
    }
    assert.deepEqual(images.slice(0, 2).map((i) => [i.width, i.height]), [[1200, 700], [1200, 500]], 'the memory and load charts at their drawn sizes');

    // The page says what summary.json says.
    const text = await page.locator('body').innerText();
    assert.ok(text.includes(summary.headline), 'headline missing from the page');
    assert.match(text, /20,000/);

    // The JUnit file beside the report is well-formed XML to a real parser, with the cases expected.
    const junit = readFileSync(join(dir, FILES.junit), 'utf8');
    const parsed = await page.evaluate((xml) => {
      // Runs in the page; the project's TypeScript has no DOM library, so the parser is typed here.
      interface Node { textContent: string | null; getAttribute(name: string): string | null; querySelector(sel: string): Node | null; querySelectorAll(sel: string): Iterable<Node> }
      const Parser = (globalThis as unknown as { DOMParser: new () => { parseFromString(text: string, type: string): Node } }).DOMParser;
      const doc = new Parser().parseFromString(xml, 'application/xml');
      const error = doc.querySelector('parsererror');
      return {
        error: error?.textContent ?? null,
        cases: [...doc.querySelectorAll('testcase')].map((c) => `${c.getAttribute('name')}${c.querySelector('failure') ? ' FAILED' : c.querySelector('skipped') ? ' skipped' : ''}`),
      };
    }, junit);
    assert.equal(parsed.error, null, `junit.xml does not parse: ${parsed.error}`);
    assert.deepEqual(parsed.cases.slice(0, 4), ['run completed', 'errors == 0', 'non-2xx == 0', 'sent == requested']);

    const screenshot = join(dir, 'report-screenshot.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 10_000);
    const shot = await loadImage(readFileSync(screenshot));
    assert.equal(shot.width, 1280);
    assert.ok(shot.height > 900, `a full-page screenshot should be taller than the viewport, got ${shot.height}`);

    assert.deepEqual(problems, []);
    t.diagnostic(`screenshot: ${screenshot}`);
  } finally {
    await context.close();
  }
  assert.ok(existsSync(join(dir, 'report-screenshot.png')));
});
