import type { RunData } from '../rundir/read-run.ts';
import type {
  AllocationSite,
  RuntimeOrigin,
  SitesArtifact,
  SitesOrigin,
  SitesRecord,
  SitesTaken,
} from '../rundir/schema.ts';
import { formatSignedBytes } from './format.ts';
import { shellQuote } from './pprof-command.ts';

/**
 * Where the retained memory was allocated: the allocation sites of live memory at the end of
 * the first rest against the end of each later rest, per profiler. Every profile is taken at
 * rest right after a full collection, so what a site holds is what the code there kept;
 * garbage is gone and cannot rank. Pure: the run's sites.ndjson in, the ranking out.
 */

/** Sites kept per comparison in summary.json, most grown first. */
export const TOP_SITES = 10;

export interface AllocSitesReport {
  /** One per profiler that gave two profiles or more. */
  series: SitesSeries[];
  /** Sources that could not give allocation sites, and why (once per source and reason). */
  missing: { source: RuntimeOrigin; reason: string }[];
}

export interface SitesSeries {
  origin: SitesOrigin;
  /** How the profiler measured, in its words. */
  method: string;
  /** The profiles compared, in time order. */
  taken: { label: string; t: number; totalBytes?: number; file?: string }[];
  /** The first profile against each later one; the last is first → last. */
  diffs: SitesDiff[];
  /** The raw profiles, each with the tool that opens it (run in the run directory). */
  files: { label: string; file: string; openWith: string }[];
  /** The first and last raw profiles compared with the runtime's own tool, when it has one. */
  diffCommand?: string;
}

export interface SitesDiff {
  from: string;
  to: string;
  fromT: number;
  toT: number;
  /** Requests answered between the two profiles (absent when the run did not count them). */
  requests?: number;
  /** Growth of the whole profile's live bytes (absent when the profiler gives no total). */
  heapGrowth?: number;
  /** Sites whose live bytes grew, most first (at most TOP_SITES). */
  sites: SiteGrowth[];
}

export interface SiteGrowth {
  site: string;
  kind: AllocationSite['kind'];
  /** Live bytes at the two ends, and the growth between them. */
  before: number;
  after: number;
  bytes: number;
  objects?: number;
  bytesPer1k?: number;
  objectsPer1k?: number;
  /** Share of the whole profile's growth (0.42 for 42%), when it grew. */
  share?: number;
  stack?: string[];
}

export function allocationSites(data: RunData): AllocSitesReport | undefined {
  const records = data.sites ?? [];
  const missing = missingSources(data, records);
  const taken = records.filter((r): r is SitesTaken => !('unavailable' in r));
  const origins = [...new Set(taken.map((r) => r.origin))];
  const series = origins.flatMap((origin) => {
    const s = seriesOf(
      data,
      taken.filter((r) => r.origin === origin),
    );
    return s ? [s] : [];
  });
  if (series.length === 0 && missing.length === 0) return undefined;
  return { series, missing };
}

function seriesOf(data: RunData, all: readonly SitesTaken[]): SitesSeries | undefined {
  const first = all[0];
  if (!first) return undefined;
  // A restarted target is another process: its profiles are not compared with the first one's.
  const exit = data.events.find((e) => e.type === 'target-exit' && e.t > first.t)?.t ?? Infinity;
  const profiles = all.filter((p) => p.t < exit);
  if (profiles.length < 2) return undefined;
  const artifacts = data.run.allocationProfiles ?? [];
  const files = profiles.flatMap((p) => {
    const a = p.file === undefined ? undefined : artifacts.find((x: SitesArtifact) => x.file === p.file);
    return a ? [{ label: p.label, file: a.file, openWith: a.openWith }] : [];
  });
  const last = profiles.at(-1)!;
  const command = first.file && last.file ? diffCommand(first.origin, first.file, last.file) : undefined;
  return {
    origin: first.origin,
    method: first.method,
    taken: profiles.map((p) => ({
      label: p.label,
      t: p.t,
      ...(p.totalBytes !== undefined && { totalBytes: p.totalBytes }),
      ...(p.file !== undefined && { file: p.file }),
    })),
    diffs: profiles.slice(1).map((p) => diffSites(first, p, requestsBetween(data, first.t, p.t))),
    files,
    ...(command && { diffCommand: command }),
  };
}

/** Growth per site from `a` to `b`, ranked by bytes kept; a site absent from a profile holds 0 there. */
export function diffSites(a: SitesTaken, b: SitesTaken, requests: number | undefined): SitesDiff {
  const before = new Map(a.sites.map((s) => [s.site, s]));
  const heapGrowth = a.totalBytes !== undefined && b.totalBytes !== undefined ? b.totalBytes - a.totalBytes : undefined;
  const per1k = (v: number) => (requests !== undefined && requests > 0 ? Math.round(v / (requests / 1000)) : undefined);
  const grown = b.sites.flatMap((s): SiteGrowth[] => {
    const was = before.get(s.site);
    const bytes = s.bytes - (was?.bytes ?? 0);
    if (bytes <= 0) return [];
    const objects = s.objects === undefined ? undefined : s.objects - (was?.objects ?? 0);
    const out: SiteGrowth = { site: s.site, kind: s.kind, before: was?.bytes ?? 0, after: s.bytes, bytes };
    const bytesPer1k = per1k(bytes);
    if (bytesPer1k !== undefined) out.bytesPer1k = bytesPer1k;
    if (objects !== undefined) {
      out.objects = objects;
      const objectsPer1k = per1k(objects);
      if (objectsPer1k !== undefined) out.objectsPer1k = objectsPer1k;
    }
    if (heapGrowth !== undefined && heapGrowth > 0) out.share = Math.round((bytes / heapGrowth) * 1000) / 1000;
    if (s.stack) out.stack = s.stack;
    return [out];
  });
  grown.sort((x, y) => y.bytes - x.bytes || x.site.localeCompare(y.site));
  return {
    from: a.label,
    to: b.label,
    fromT: a.t,
    toT: b.t,
    ...(requests !== undefined && { requests }),
    ...(heapGrowth !== undefined && { heapGrowth }),
    sites: grown.slice(0, TOP_SITES),
  };
}

/**
 * Requests answered between two times: the load results of the phases that ran between them,
 * else the target's own request counter (a watched run), else unknown.
 */
export function requestsBetween(data: RunData, fromT: number, toT: number): number | undefined {
  const slack = 1e-6;
  const phases = data.run.phases.filter(
    (p) => p.result && p.startT !== undefined && p.startT >= fromT - slack && (p.endT ?? Infinity) <= toT + slack,
  );
  if (phases.length > 0) return phases.reduce((n, p) => n + p.result!.completed, 0);
  const counter = (t: number) => data.samples.filter((s) => s.t <= t && s.requestsServed !== undefined).at(-1);
  const a = counter(fromT)?.requestsServed;
  const b = counter(toT)?.requestsServed;
  return a !== undefined && b !== undefined && b >= a ? b - a : undefined;
}

/** The runtime's own tool comparing two raw profiles, where one exists. */
function diffCommand(origin: SitesOrigin, from: string, to: string): string | undefined {
  if (origin === 'pprof-heap')
    return `go tool pprof -sample_index=inuse_space -top -diff_base ${shellQuote(from)} ${shellQuote(to)}`;
  if (origin === 'tracemalloc' && from.endsWith('.pickle') && to.endsWith('.pickle'))
    return `python3 -c "import sys, tracemalloc as t; a, b = (t.Snapshot.load(f) for f in sys.argv[1:]); [print(s) for s in b.compare_to(a, 'lineno')[:20]]" ${shellQuote(from)} ${shellQuote(to)}`;
  return undefined;
}

/** Runtime sources that give allocation sites, by the figure source that carries them. */
const SITES_SOURCES: readonly RuntimeOrigin[] = ['pprof', 'python-hook', 'inspector', 'hsperfdata'];

/**
 * Why sites are missing: the records of sources that could not give them, and, for a run with
 * none at all, the sources that could have but did not open (no pprof mounted, no hook).
 */
function missingSources(data: RunData, records: readonly SitesRecord[]): AllocSitesReport['missing'] {
  const out: AllocSitesReport['missing'] = [];
  const add = (source: RuntimeOrigin, reason: string) => {
    if (!out.some((m) => m.source === source && m.reason === reason)) out.push({ source, reason });
  };
  for (const r of records) if ('unavailable' in r) add(r.source, r.unavailable);
  if (records.length === 0)
    for (const s of data.run.target.runtimeSources ?? [])
      if (!s.opened && s.note !== undefined && SITES_SOURCES.includes(s.origin)) add(s.origin, s.note);
  return out;
}

/**
 * The verdict's sentence on where a heap that grew was allocated: the top site of each profiler's
 * first → last comparison, with its rate and share. Undefined where no site grew.
 */
export function topSiteEvidence(r: AllocSitesReport | undefined): string[] {
  return (r?.series ?? []).flatMap((s) => {
    const d = s.diffs.at(-1);
    const top = d?.sites[0];
    if (!d || !top) return [];
    const rate =
      top.bytesPer1k !== undefined
        ? `${formatSignedBytes(top.bytesPer1k)} per 1,000 requests`
        : formatSignedBytes(top.bytes);
    const share = top.share !== undefined ? `, ${Math.round(top.share * 100)}% of the growth` : '';
    return [
      `Most of what the heap kept from ${d.from} to ${d.to} was allocated at ${top.site} (${rate}${share}; "${SITES_SECTION}" in the report).`,
    ];
  });
}

const SITES_SECTION = 'Where the retained memory was allocated';
