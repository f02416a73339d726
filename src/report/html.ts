import type { RunFile } from '../rundir/schema.ts';
import { diagnosisContent, type DiagnosisContent } from './diagnosis-content.ts';
import type { InteractiveCharts } from './interactive.ts';
import { reportContent, type Table } from './tables.ts';
import { RETAINED_CAPTION, retainedShown, retainedTable } from './retained-content.ts';
import { SITES_CAPTION, SITES_TITLE, sitesContent } from './alloc-sites-content.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { KIND_CLASSES } from '../analyse/verdict-kinds.ts';

/** The one escape for HTML text and attribute values: every interpolation goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup built by `html`, already safe; anything else interpolated into `html` is escaped. */
class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | readonly SafeHtml[] | undefined;

/**
 * Template tag that escapes every interpolated value unless it is markup made by this tag, so
 * escaping is the default and forgetting it is impossible rather than merely unlikely.
 */
function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

function render(v: Interpolation): string {
  if (v === undefined) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map((x: SafeHtml) => x.value).join('');
  return escapeHtml(String(v));
}

const CSS = `
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; color: #222; margin: 2rem auto; max-width: 1240px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .3rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.headline { font-size: 1.1rem; font-weight: 600; background: #f4f7fb; border-left: 4px solid #1f77b4; padding: .6rem .9rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
th { background: #f6f6f6; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { width: 9rem; }
.scroll { overflow-x: auto; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: .5rem 0; }
.warnings li { color: #8a4b00; }
.status-completed { color: #1a7f37; } .status-failed, .status-interrupted, .status-running { color: #b42318; }
.verdict { border-left: 4px solid #888; padding: .2rem .9rem; margin: 1rem 0; background: #fafafa; }
.verdict h2 { border: none; margin-top: .4rem; }
.verdict-growth { border-color: #b42318; } .verdict-ok { border-color: #1a7f37; } .verdict-unknown { border-color: #b7791f; } .verdict-bounded { border-color: #1f77b4; }
.verdict .kind { color: #555; font-size: 13px; }
pre.cmd { background: #f4f4f4; padding: .5rem .7rem; overflow-x: auto; }
.chart { position: relative; max-width: 1200px; margin: .5rem 0; }
.hint { color: #666; font-size: 12px; margin: 0; }
`;

/**
 * index.html: one self-contained page, readable offline and as a CI artifact. With `charts`,
 * the charts are drawn in the browser from the run data inlined in the page (zoom, tooltips,
 * series toggles); the PNGs stay inside <noscript>. Without, the PNGs inline as data: URIs.
 */
export function renderHtml(
  summary: SummaryFile,
  run: RunFile,
  images: { memory: Buffer; load: Buffer; retained?: Buffer; sites?: Buffer },
  charts?: InteractiveCharts,
): string {
  const c = reportContent(summary, run);
  const d = diagnosisContent(summary.diagnosis);
  const facts = c.facts.map(([k, v]) =>
    k === 'status'
      ? html`<tr><th>${k}</th><td class="status-${summary.status}">${v}</td></tr>`
      : html`<tr><th>${k}</th><td>${v}</td></tr>`,
  );
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${c.title}</title>
<style>${new SafeHtml(CSS)}</style>
</head>
<body>
<h1>${c.title}</h1>
<p class="headline">${c.headline}</p>
${d ? verdictSection(d) : undefined}
<table class="facts">${facts}</table>

<h2>Memory</h2>
${chartOrImage('memory', images.memory, "Memory over time: RSS and the runtime's figures", charts)}
${c.memory.rows.length > 0 ? table(c.memory) : html`<p>No memory samples were taken.</p>`}
${retainedSection(summary, images)}
${sitesSection(summary, images)}
${d ? growthSections(d) : undefined}

<h2>Load</h2>
${chartOrImage('load', images.load, 'Load over time: requests per second and latency', charts)}
${c.load.rows.length > 0 ? table(c.load) : html`<p>No load was recorded.</p>`}
${c.statusCodes.rows.length > 0 ? table(c.statusCodes) : undefined}
${c.schedule.rows.length > 0 ? table(c.schedule) : undefined}
${c.targetExits.rows.length > 0 ? html`<h2>Target exits</h2>${table(c.targetExits)}` : undefined}
${c.warnings.length > 0 ? html`<h2>Warnings</h2><ul class="warnings">${c.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : undefined}
${charts ? chartScripts(charts) : undefined}
</body>
</html>
`;
  return page.value;
}

function chartOrImage(
  name: 'memory' | 'load',
  png: Buffer,
  alt: string,
  charts: InteractiveCharts | undefined,
): SafeHtml {
  const img = html`<img src="data:image/png;base64,${png.toString('base64')}" alt="${alt}" width="1200">`;
  if (!charts) return img;
  return html`<div class="chart"><canvas id="${name}-chart" role="img" aria-label="${alt}"></canvas><noscript>${img}</noscript></div>
<p class="hint">Scroll over a chart to zoom the time axis (both charts follow), drag to pan, shift-drag to zoom to a range, double-click to reset; hover for values and the phase; click a legend entry to hide or show it. ${name}.png beside this file is the same chart as an image.</p>`;
}

/** The bundled chart script and the data it draws, both inline: the page needs no network. */
function chartScripts(charts: InteractiveCharts): SafeHtml {
  // Both are built to be safe inside <script> (browser-bundle.ts), so they go in unescaped.
  return html`<script type="application/json" id="leakbench-chart-data">${new SafeHtml(charts.json)}</script>
<script>${new SafeHtml(charts.script)}</script>
<script>leakbench.mountReport(document);</script>`;
}

function table(t: Table): SafeHtml {
  const cell = (text: string, i: number): SafeHtml =>
    t.numeric[i] ? html`<td class="num">${text}</td>` : html`<td>${text}</td>`;
  const head = t.head.map((h) => html`<th>${h}</th>`);
  const rows = t.rows.map((r) => html`<tr>${r.map(cell)}</tr>`);
  return html`<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function verdictSection(d: DiagnosisContent): SafeHtml {
  // A kind this pack does not know is drawn as one it cannot tell, never as healthy.
  const tone = d.kindClass ? KIND_CLASSES[d.kindClass].htmlTone : 'verdict-unknown';
  const list = (title: string, items: readonly string[]): SafeHtml | undefined =>
    items.length === 0
      ? undefined
      : html`<p><strong>${title}</strong></p><ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
  return html`<section class="verdict ${tone}">
<h2>Verdict: ${d.title}</h2>
<p class="kind">${d.kindLine}</p>
<p>${d.summary}</p>
${list('Evidence', d.evidence)}
${list('Could not tell', d.caveats)}
${list('Next steps', d.suggestions)}
${d.pprofCommand ? html`<p><strong>Heap profile diff</strong> (run it in the run directory):</p><pre class="cmd"><code>${d.pprofCommand}</code></pre>` : undefined}
</section>`;
}

function retainedSection(summary: SummaryFile, images: { retained?: Buffer }): SafeHtml | undefined {
  const r = summary.diagnosis?.retained;
  if (!retainedShown(r)) return undefined;
  const img = images.retained
    ? html`<img src="data:image/png;base64,${images.retained.toString('base64')}" alt="Memory retained after each burst against requests served" width="1200">`
    : undefined;
  return html`<h2>Retained after each burst</h2>
<p>${RETAINED_CAPTION}</p>
${img}
${table(retainedTable(r))}`;
}

function sitesSection(summary: SummaryFile, images: { sites?: Buffer }): SafeHtml | undefined {
  const c = sitesContent(summary.allocationSites);
  if (!c) return undefined;
  const img = images.sites
    ? html`<img src="data:image/png;base64,${images.sites.toString('base64')}" alt="${SITES_TITLE}" width="1200">`
    : undefined;
  const sections = c.sections.map(
    (s) => html`<h3>${s.heading}</h3>
<p>${s.lead}</p>
${s.table.rows.length > 0 ? table(s.table) : html`<p>No allocation site grew between them.</p>`}
${s.files.rows.length > 0 ? html`<p>Raw profiles (in the run directory):</p>${table(s.files)}` : undefined}
${s.diffCommand ? html`<p>Compare the first and the last (run it in the run directory):</p><pre class="cmd"><code>${s.diffCommand}</code></pre>` : undefined}`,
  );
  return html`<h2>${SITES_TITLE}</h2>
<p>${SITES_CAPTION}</p>
${sections}
${img}
${c.missing.length > 0 ? html`<p>No allocation sites from:</p><ul>${c.missing.map((m) => html`<li>${m}</li>`)}</ul>` : undefined}`;
}

function growthSections(d: DiagnosisContent): SafeHtml {
  const smaps = d.smaps;
  return html`<h2>Growth by figure and phase</h2>
<p>Robust (Theil–Sen) rates: per hour at rest, per 1,000 completed requests under load; the trend column says whether it counts as growth.</p>
${d.growth.rows.length > 0 ? table(d.growth) : html`<p>No figure had enough samples to fit.</p>`}
${d.growthNotes.length > 0 ? html`<ul>${d.growthNotes.map((n) => html`<li>${n}</li>`)}</ul>` : undefined}
${
  smaps
    ? html`<h2>Where it grew (smaps)</h2>
<p>${smaps.caption}</p>
${table(smaps.kinds)}
${smaps.mappings.rows.length > 0 ? html`<p>Mappings that grew most:</p>${table(smaps.mappings)}` : undefined}
${smaps.steps ? html`<p>Between consecutive snapshots:</p>${table(smaps.steps)}` : undefined}
${smaps.notes.length > 0 ? html`<ul>${smaps.notes.map((n) => html`<li>${n}</li>`)}</ul>` : undefined}`
    : undefined
}`;
}
