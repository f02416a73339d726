import type { ChartConfiguration } from 'chart.js';
import type { AllocSitesReport, SiteGrowth, SitesDiff, SitesSeries } from '../analyse/alloc-sites.ts';
import { formatCount, formatSignedBytes, formatSignedCount } from '../analyse/format.ts';
import { drawBarChart, type Size } from './chart-canvas.ts';
import type { Table } from './tables.ts';

/**
 * Where the retained memory was allocated (summary.json's allocationSites) as tables, a bar
 * chart and the raw profiles' commands, for summary.md, index.html and the CI step summary.
 * Each profiler's comparison shown is the first rest's end against the last's.
 */

export const SITES_PNG = 'sites.png';
export const SITES_CHART_SIZE: Size = { width: 1200, height: 460 };
export const SITES_TITLE = 'Where the retained memory was allocated';
export const SITES_CAPTION =
  'Live memory by the code that allocated it, at the end of the first rest against the end of the last, each read right after a full collection: what a site holds there is what the load left behind, so code that only makes garbage does not rank. Per 1,000 requests answered between the two; share of the growth of everything the profile holds.';

const ORIGIN_NAMES: Record<SitesSeries['origin'], string> = {
  'pprof-heap': 'Go heap profile (pprof)',
  'inspector-sampling': "V8's sampling heap profiler (inspector)",
  'class-histogram': 'JVM class histogram',
  tracemalloc: 'Python tracemalloc',
};

export interface SitesSection {
  heading: string;
  /** The comparison in words: profiler, from → to, requests between, total growth. */
  lead: string;
  table: Table;
  /** Each raw profile in the run directory with the tool that opens it. */
  files: Table;
  /** The first and last profiles compared with the runtime's own tool, run in the run directory. */
  diffCommand?: string;
}

export interface SitesContent {
  sections: SitesSection[];
  /** Why a source gave no sites, one line each. */
  missing: string[];
}

export function sitesContent(r: AllocSitesReport | undefined): SitesContent | undefined {
  if (!r || (r.series.length === 0 && r.missing.length === 0)) return undefined;
  return {
    sections: r.series.map(sectionOf),
    missing: r.missing.map((m) => `${m.source}: ${m.reason}`),
  };
}

/** The comparison the report shows: first rest's end → last rest's end. */
export function headlineDiff(s: SitesSeries): SitesDiff | undefined {
  return s.diffs.at(-1);
}

function sectionOf(s: SitesSeries): SitesSection {
  const d = headlineDiff(s)!;
  const requests = d.requests !== undefined ? `, ${formatCount(d.requests)} requests answered between them` : '';
  const growth =
    d.heapGrowth !== undefined ? `; everything the profile holds grew ${formatSignedBytes(d.heapGrowth)}` : '';
  return {
    heading: ORIGIN_NAMES[s.origin] ?? s.origin,
    lead: `${d.from} → ${d.to}${requests}${growth}. ${s.method}.`,
    table: sitesTable(d),
    files: {
      head: ['Raw profile', 'End of', 'Open with'],
      rows: s.files.map((f) => [f.file, f.label, f.openWith]),
      numeric: [false, false, false],
    },
    ...(s.diffCommand && { diffCommand: s.diffCommand }),
  };
}

export function sitesTable(d: SitesDiff): Table {
  // A class histogram (JVM) names what was kept, not where: its sites are classes and instances.
  const classes = d.sites.length > 0 && d.sites.every((g) => g.kind === 'class');
  const head = [
    '#',
    classes ? 'Class' : 'Allocated at',
    'Grew',
    'Per 1,000 requests',
    classes ? 'Instances per 1,000 requests' : 'Objects per 1,000 requests',
    'Share',
  ];
  const rows = d.sites.map((g, i) => [
    String(i + 1),
    g.site,
    formatSignedBytes(g.bytes),
    g.bytesPer1k !== undefined ? formatSignedBytes(g.bytesPer1k) : '—',
    objectsText(g),
    g.share !== undefined ? `${Math.round(g.share * 100)}%` : '—',
  ]);
  const numeric = [true, false, true, true, true, true];
  // A profiler that records one frame (tracemalloc's default) has no caller to show.
  if (!d.sites.some((g) => g.stack?.[1] !== undefined)) return { head, rows, numeric };
  return {
    head: [...head, 'Called from'],
    rows: rows.map((r, i) => [...r, d.sites[i]!.stack?.[1] ?? '']),
    numeric: [...numeric, false],
  };
}

function objectsText(g: SiteGrowth): string {
  if (g.objectsPer1k !== undefined) return formatSignedCount(g.objectsPer1k);
  return g.objects !== undefined ? `${formatSignedCount(g.objects)} in all` : '—';
}

/** The top three sites of each profiler, in one line each, for the CI step summary. */
export function topSitesLines(r: AllocSitesReport | undefined): string[] {
  return (r?.series ?? []).flatMap((s) => {
    const d = headlineDiff(s);
    return (d?.sites ?? []).slice(0, 3).map((g, i) => {
      const per =
        g.bytesPer1k !== undefined
          ? `${formatSignedBytes(g.bytesPer1k)} per 1,000 requests`
          : formatSignedBytes(g.bytes);
      const share = g.share !== undefined ? `, ${Math.round(g.share * 100)}% of the growth` : '';
      return `${i + 1}. ${g.site}: ${per}${share} (${ORIGIN_NAMES[s.origin] ?? s.origin})`;
    });
  });
}

/** Whether there is a chart to draw: a comparison in which some site grew. */
export function sitesChartShown(r: AllocSitesReport | undefined): boolean {
  return (r?.series ?? []).some((s) => (headlineDiff(s)?.sites.length ?? 0) > 0);
}

/** Horizontal bars of the top sites: KiB per 1,000 requests where requests were counted, else KiB grown. */
export function sitesChart(r: AllocSitesReport): ChartConfiguration<'bar', number[], string> {
  const s = r.series.find((x) => (headlineDiff(x)?.sites.length ?? 0) > 0)!;
  const d = headlineDiff(s)!;
  const perRequest = d.sites.every((g) => g.bytesPer1k !== undefined);
  const value = (g: SitesDiff['sites'][number]) => (perRequest ? g.bytesPer1k! : g.bytes) / 1024;
  const unit = perRequest ? 'KiB kept per 1,000 requests' : `KiB kept, ${d.from} → ${d.to}`;
  return {
    type: 'bar',
    data: {
      labels: d.sites.map((g) => shorten(g.site, 70)),
      datasets: [{ label: unit, data: d.sites.map(value), backgroundColor: '#d62728', maxBarThickness: 36 }],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, title: { display: true, text: unit } } },
      plugins: {
        title: { display: true, text: `${SITES_TITLE} (${ORIGIN_NAMES[s.origin] ?? s.origin}, ${d.from} → ${d.to})` },
        legend: { display: false },
      },
    },
  };
}

export function renderSitesChart(r: AllocSitesReport, size: Size = SITES_CHART_SIZE): Promise<Buffer> {
  return drawBarChart(sitesChart(r), size);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}
