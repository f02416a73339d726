import { join, relative } from 'node:path';
import type { ChartDataset } from 'chart.js';
import { formatCount, formatFigure, formatSignedMiB } from '../analyse/format.ts';
import { summarise } from '../analyse/summarise.ts';
import { readRunDir, type RunData } from '../rundir/read-run.ts';
import { writeOutput } from '../rundir/recorder.ts';
import { FIGURES, type Sample, type SampleFigure } from '../rundir/schema.ts';
import { profileOf } from '../analyse/runtime-profiles.ts';
import { classOf } from '../analyse/verdict-kinds.ts';
import { drawChart, lineLegend, type LineConfig } from './chart-canvas.ts';
import { downsample, type PlotPoint } from './downsample.ts';
import { escapeHtml } from './html.ts';
import { loadSeconds } from './load-chart.ts';
import { requestsServed } from './requests-axis.ts';
import { escapeMarkdown } from './markdown.ts';
import { timeAxis, timeScale } from './timeline.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { baselineGate, type GateResult } from '../analyse/baseline-gate.ts';
import { answerWarnings } from '../analyse/compare-answers.ts';
import { gateHtml, gateMarkdown } from './compare-gate.ts';
import { contrastSites, type SiteContrast } from '../analyse/compare-sites.ts';
import type { AllocSitesReport } from '../analyse/alloc-sites.ts';
import { compareSitesHtml, compareSitesMarkdown } from './compare-sites-content.ts';

export interface ComparedRun {
  label: string;
  dir: string;
  /** The build's label when it differs from the run's (--rounds: base-r1, base-r2 are build base). */
  build?: string;
  round?: number;
}

interface Row {
  label: string;
  /** The build this run is of (absent in compare/1 files and with one round: the label). */
  build?: string;
  round?: number;
  dir: string;
  status: string;
  requests: number;
  rssStart?: number;
  rssPeak?: number;
  rssEnd?: number;
  heapStart?: number;
  heapEnd?: number;
  /** The run's heap figure in its runtime's words ("Go heap in use", "V8 heap used"); absent in older compare.json. */
  heapLabel?: string;
  verdict: string;
  evidence: string;
}

/**
 * What compare.json holds; `npm run report` re-renders a comparison from it. /2 added the
 * baseline gate, the builds' rounds and the answers' warnings; a /1 file reads as a /2 without them.
 */
export const COMPARE_SCHEMA = 'leakbench.compare/2';

export interface ComparisonFile {
  schema: typeof COMPARE_SCHEMA;
  scenario: string;
  runs: Row[];
  /** --baseline: the build the others were gated against, and the gate's decision per figure. */
  baseline?: string;
  gate?: GateResult;
  /** Builds that answered unlike the baseline (status codes, sizes, errors). */
  warnings?: string[];
  /** Allocation sites that grew in one build and not in another (absent when none did). */
  sites?: SiteContrast[];
}

const COLOURS = ['#2ca02c', '#d62728', '#1f77b4', '#ff7f0e', '#9467bd', '#8c564b'];
const MIB = 1024 * 1024;

function figure(summary: SummaryFile, key: SampleFigure) {
  return summary.memory.find((m) => m.key === key);
}

function verdictOf(summary: SummaryFile): { kind: string; text: string } {
  const d = summary.diagnosis?.verdict;
  if (!d) return { kind: 'n/a', text: summary.headline };
  return { kind: d.kind, text: [d.summary, ...d.evidence].filter(Boolean).join(' ') || summary.headline };
}

function series(samples: readonly Sample[], key: SampleFigure, divisor: number): PlotPoint[] {
  const pts = samples
    .filter((s) => typeof s[key] === 'number')
    .map((s) => ({ x: s.t / divisor, y: (s[key] as number) / MIB }));
  return downsample(pts, 800);
}

/**
 * One report over several runs of the same scenario (the bundled plain and race builds by
 * default): RSS of each overlaid, heap against RSS per run, and a verdict table.
 */
export async function renderComparison(
  dir: string,
  scenario: string,
  runs: readonly ComparedRun[],
  baseline?: string,
): Promise<{ file: ComparisonFile; files: string[] }> {
  const { file, rss, heap, byRequests } = comparison(dir, scenario, runs, baseline);
  const size = { width: 1200, height: 600 };
  const [rssPng, heapPng, byRequestsPng] = await Promise.all([
    drawChart(rss.config, size),
    drawChart(heap.config, size),
    drawChart(byRequests.config, size),
  ]);
  writeOutput(dir, 'compare.json', file);
  writeOutput(dir, 'rss.png', rssPng);
  writeOutput(dir, 'heap-vs-rss.png', heapPng);
  writeOutput(dir, 'rss-by-requests.png', byRequestsPng);
  writeOutput(dir, 'compare.md', comparisonMarkdown(file));
  writeOutput(dir, 'index.html', comparisonHtml(file, rssPng, heapPng, byRequestsPng));
  return {
    file,
    files: ['compare.json', 'compare.md', 'index.html', 'rss.png', 'heap-vs-rss.png', 'rss-by-requests.png'].map((f) =>
      join(dir, f),
    ),
  };
}

/** A comparison chart before it is drawn. */
export interface ComparisonChart {
  config: LineConfig;
}

/** The comparison before its charts are drawn: compare.json's rows and its three charts. */
export function comparison(
  dir: string,
  scenario: string,
  runs: readonly ComparedRun[],
  baseline?: string,
): { file: ComparisonFile; rss: ComparisonChart; heap: ComparisonChart; byRequests: ComparisonChart } {
  const loaded = runs.map((r) => ({ ...r, data: readRunDir(r.dir) }));
  const summaries = loaded.map((r) => summarise(r.data));
  const checked = checkedAgainst(loaded, summaries, baseline);
  const sites = contrastSites(firstOfEachBuild(loaded, summaries));
  const rows: Row[] = loaded.map((r, i) => comparedRow(dir, r, summaries[i]!));
  const endS = Math.max(1, ...loaded.map((r) => r.data.samples.at(-1)?.t ?? 0));
  const axis = timeAxis(endS);
  const scales: ChartScales = {
    x: timeScale(axis),
    y: { type: 'linear' as const, beginAtZero: true, title: { display: true, text: 'memory (MiB)' } },
  };
  const rssDatasets: ChartDataset<'line', PlotPoint[]>[] = loaded.map((r, i) => ({
    label: `${r.label}: RSS`,
    data: series(r.data.samples, rssKeyOf(r.data), axis.divisor),
    borderColor: COLOURS[i % COLOURS.length]!,
    backgroundColor: COLOURS[i % COLOURS.length]!,
    borderWidth: 2.5,
    pointRadius: 0,
  }));
  const rssConfig = lineConfig(rssDatasets, `${scenario}: RSS by build`, scales);
  return {
    file: { schema: COMPARE_SCHEMA, scenario, runs: rows, ...checked, ...(sites.length > 0 && { sites }) },
    rss: { config: rssConfig },
    heap: {
      config: heapChart(
        loaded,
        rssDatasets,
        `${scenario}: RSS (solid) against ${heapWords(rows)} (dashed)`,
        axis.divisor,
        scales,
      ),
    },
    byRequests: { config: byRequestsChart(loaded, rssDatasets, scenario, scales.y) },
  };
}

type LoadedRun = ComparedRun & { data: RunData };

/** One run per build (its first round): rounds of the same build differ only by noise. */
function firstOfEachBuild(
  loaded: readonly LoadedRun[],
  summaries: readonly SummaryFile[],
): { build: string; sites?: AllocSitesReport }[] {
  const seen = new Set<string>();
  return loaded.flatMap((r, i) => {
    const build = r.build ?? r.label;
    if (seen.has(build)) return [];
    seen.add(build);
    const sites = summaries[i]!.allocationSites;
    return [{ build, ...(sites && { sites }) }];
  });
}

interface ChartScales {
  x: ReturnType<typeof timeScale>;
  y: { type: 'linear'; beginAtZero: boolean; title: { display: boolean; text: string } };
}

/** One run's line of compare.json: its memory at start, peak and end, and its verdict. */
function comparedRow(dir: string, r: LoadedRun, s: SummaryFile): Row {
  const rss = figure(s, 'vmRss') ?? figure(s, 'processRss');
  const heapKey = heapKeyOf(r.data);
  const heap = heapKey && figure(s, heapKey);
  const v = verdictOf(s);
  return {
    label: r.label,
    ...(r.build !== undefined && r.build !== r.label && { build: r.build }),
    ...(r.round !== undefined && r.round > 1 && { round: r.round }),
    dir: relative(dir, r.dir) || '.',
    status: s.status,
    requests: s.load.reduce((n, l) => n + l.completed, 0),
    ...(rss && { rssStart: rss.start, rssPeak: rss.peak, rssEnd: rss.end }),
    ...(heap && { heapStart: heap.start, heapEnd: heap.end, heapLabel: labelOf(heapKey) }),
    verdict: v.kind,
    evidence: v.text,
  };
}

/** /proc's VmRSS where the run has it, else the process's own RSS figure. */
function rssKeyOf(data: RunData): SampleFigure {
  return data.samples.some((s) => s.vmRss !== undefined) ? 'vmRss' : 'processRss';
}

function lineConfig(datasets: ChartDataset<'line', PlotPoint[]>[], title: string, scales: ChartScales): LineConfig {
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      plugins: {
        title: { display: true, text: title, font: { size: 18 } },
        legend: lineLegend(),
      },
      scales: { x: scales.x, y: scales.y },
    },
  };
}

/** Each run's RSS (solid) with its heap figure (dashed) in the same colour. */
function heapChart(
  loaded: readonly LoadedRun[],
  rssDatasets: readonly ChartDataset<'line', PlotPoint[]>[],
  title: string,
  divisor: number,
  scales: ChartScales,
): LineConfig {
  const heapKeys = loaded.map((r) => heapKeyOf(r.data));
  const heapDatasets: ChartDataset<'line', PlotPoint[]>[] = loaded.flatMap((r, i) => [
    { ...rssDatasets[i]! },
    {
      label: `${r.label}: ${labelOf(heapKeys[i]) ?? 'no heap figure'}`,
      data: heapKeys[i] ? series(r.data.samples, heapKeys[i], divisor) : [],
      borderColor: COLOURS[i % COLOURS.length]!,
      backgroundColor: COLOURS[i % COLOURS.length]!,
      borderWidth: 2,
      borderDash: [8, 4],
      pointRadius: 0,
    },
  ]);
  return lineConfig(heapDatasets, title, scales);
}

/**
 * Builds of different speed reach the same request at different times: against requests
 * served, their lines line up by work done.
 */
function byRequestsChart(
  loaded: readonly LoadedRun[],
  rssDatasets: readonly ChartDataset<'line', PlotPoint[]>[],
  scenario: string,
  yScale: ChartScales['y'],
): LineConfig {
  const datasets: ChartDataset<'line', PlotPoint[]>[] = loaded.map((r, i) => ({
    ...rssDatasets[i]!,
    data: downsample(requestsServed(r.data.samples, loadSeconds(r.data), rssKeyOf(r.data), MIB), 800),
  }));
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      plugins: {
        title: { display: true, text: `${scenario}: RSS by build against requests served`, font: { size: 18 } },
        legend: lineLegend(),
      },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          max: Math.max(1, ...datasets.map((d) => d.data.at(-1)?.x ?? 0)),
          title: { display: true, text: 'requests served (completed responses since the start)' },
          ticks: { includeBounds: false, callback: (v) => formatCount(Number(v)) },
        },
        y: yScale,
      },
    },
  };
}

/** The baseline gate (with a baseline) and the answers' warnings, from the runs' summaries and load. */
function checkedAgainst(
  loaded: readonly (ComparedRun & { data: RunData })[],
  summaries: readonly SummaryFile[],
  baseline: string | undefined,
): Pick<ComparisonFile, 'baseline' | 'gate' | 'warnings'> {
  const buildOf = (r: ComparedRun) => r.build ?? r.label;
  const warnings = answerWarnings(
    loaded.map((r) => ({
      build: buildOf(r),
      results: r.data.run.phases.flatMap((p) => (p.result ? [p.result] : [])),
      probes: r.data.probes,
    })),
    baseline,
  );
  const gate =
    baseline === undefined
      ? undefined
      : baselineGate(
          baseline,
          loaded.map((r, i) => ({ build: buildOf(r), summary: summaries[i] })),
        );
  return {
    ...(baseline !== undefined && { baseline }),
    ...(gate && { gate }),
    ...(warnings.length > 0 && { warnings }),
  };
}

/** The run's main heap figure, from its runtime profile (Go heap in use, V8 heap used), when sampled. */
function heapKeyOf(data: RunData): SampleFigure | undefined {
  return profileOf(data).profile.heap.find((k) => data.samples.some((s) => s[k] !== undefined));
}

function labelOf(key: SampleFigure | undefined): string | undefined {
  return key === undefined ? undefined : (FIGURES.find((f) => f.key === key)?.label ?? key);
}

/** One heap name when every run has the same, else a neutral one (each cell then names its own). */
function heapWords(rows: readonly Row[]): string {
  const labels = new Set(rows.map((r) => r.heapLabel ?? 'Go heap in use'));
  return labels.size === 1 ? [...labels][0]! : "each runtime's heap";
}

const mib = (v: number | undefined) => (v === undefined ? 'n/a' : formatFigure(v, 'bytes'));
const change = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? 'n/a' : formatSignedMiB(b - a);

function cells(r: Row, named: boolean): string[] {
  return [
    r.label,
    r.status,
    r.requests.toLocaleString('en-US'),
    `${mib(r.rssStart)} → ${mib(r.rssPeak)} → ${mib(r.rssEnd)}`,
    change(r.rssStart, r.rssEnd),
    `${named && r.heapLabel ? `${r.heapLabel}: ` : ''}${mib(r.heapStart)} → ${mib(r.heapEnd)}`,
    change(r.heapStart, r.heapEnd),
    r.verdict,
  ];
}

/** The table's head; the heap column in the runs' runtime words (older compare.json: Go). */
function head(f: ComparisonFile): { head: string[]; named: boolean } {
  const words = heapWords(f.runs);
  const named = words === "each runtime's heap";
  const heap = named ? 'heap start → end' : `${words.replace(/ in use$| used$/, '')} start → end`;
  return {
    head: ['build', 'status', 'responses', 'RSS start → peak → end', 'RSS change', heap, 'heap change', 'verdict'],
    named,
  };
}

/** "growth-outside-go-runtime: growth": the kind, and its class in words. */
function verdictWords(kind: string): string {
  const c = classOf(kind);
  return c && c.words !== kind ? `${kind}: ${c.words}` : kind;
}

export function comparisonMarkdown(f: ComparisonFile): string {
  const { head: HEAD, named } = head(f);
  const lines = [
    `# leakbench comparison: ${escapeMarkdown(f.scenario)}`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
  ];
  for (const r of f.runs) lines.push(`| ${cells(r, named).map(escapeMarkdown).join(' | ')} |`);
  const gate = gateMarkdown(f);
  while (gate.at(-1) === '') gate.pop();
  lines.push(...gate, ...compareSitesMarkdown(f.sites));
  lines.push('', '## Verdicts', '');
  for (const r of f.runs)
    lines.push(
      `- **${escapeMarkdown(r.label)}** (${escapeMarkdown(verdictWords(r.verdict))}): ${escapeMarkdown(r.evidence)} — [report](${encodeURI(r.dir)}/index.html)`,
    );
  lines.push(
    '',
    '![RSS by build](rss.png)',
    '',
    '![RSS by build against requests served](rss-by-requests.png)',
    '',
    `![RSS against ${heapWords(f.runs)}](heap-vs-rss.png)`,
    '',
  );
  return lines.join('\n');
}

export function comparisonHtml(f: ComparisonFile, rss: Buffer, heap: Buffer, byRequests?: Buffer): string {
  const { head: HEAD, named } = head(f);
  const row = (r: Row) =>
    `<tr>${cells(r, named)
      .map((c) => `<td>${escapeHtml(c)}</td>`)
      .join('')}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leakbench comparison: ${escapeHtml(f.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}img{max-width:100%}</style></head>
<body><h1>leakbench comparison: ${escapeHtml(f.scenario)}</h1>
<table><thead><tr>${HEAD.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${f.runs.map(row).join('')}</tbody></table>
${gateHtml(f)}${compareSitesHtml(f.sites)}<h2>Verdicts</h2><ul>${f.runs.map((r) => `<li><strong>${escapeHtml(r.label)}</strong> (${escapeHtml(verdictWords(r.verdict))}): ${escapeHtml(r.evidence)} — <a href="${escapeHtml(encodeURI(r.dir))}/index.html">report</a></li>`).join('')}</ul>
<img alt="RSS by build" src="data:image/png;base64,${rss.toString('base64')}">
${byRequests ? `<img alt="RSS by build against requests served" src="data:image/png;base64,${byRequests.toString('base64')}">\n` : ''}<img alt="RSS against ${escapeHtml(heapWords(f.runs))}" src="data:image/png;base64,${heap.toString('base64')}">
</body></html>
`;
}
