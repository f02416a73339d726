import type { SectionLoad } from './markdown.ts';
import type { SitesCostResults, SitesRun, SitesRuntime } from './sites.ts';
import { max, median, min } from './stats.ts';

/** Issue 24: what profiling costs is kept under 5% at the defaults. */
export const SITES_GOAL = 0.05;

/** Each figure with --sites off and on: medians, and the per-round changes on/off − 1. */
export interface Paired {
  off: number;
  on: number;
  /** Median of the per-round changes (the pairs ran back to back). */
  change: number | undefined;
  /** Every round's change, in round order: its spread is the noise of the machine. */
  changes: number[];
}

export interface SitesRow {
  runtime: SitesRuntime;
  label: string;
  requests: number;
  /** Rounds with both modes measured. */
  pairs: number;
  cpu: Paired;
  rate: Paired;
  otherCores: number;
  /** Every allocation-site read at rest with --sites on, ms. */
  readMs: number[];
  /** What the last round with sites found grew most over its burst. */
  top?: SitesRun['top'];
  /** Why a round with --sites on had no sites, if one had none. */
  unavailable?: string;
}

function paired(pairs: [SitesRun, SitesRun][], figure: (r: SitesRun) => number): Paired {
  const changes = pairs.flatMap(([off, on]) => (figure(off) > 0 ? [figure(on) / figure(off) - 1] : []));
  return {
    off: median(pairs.map(([off]) => figure(off))),
    on: median(pairs.map(([, on]) => figure(on))),
    change: changes.length > 0 ? median(changes) : undefined,
    changes,
  };
}

/** Per runtime, the rounds in which both modes ran, summed up. Pure. */
export function sitesRows(r: SitesCostResults): SitesRow[] {
  return r.cases.flatMap((c): SitesRow[] => {
    const runs = r.runs.filter((x) => x.runtime === c.runtime);
    const pairs = [...new Set(runs.map((x) => x.round))].flatMap((round): [SitesRun, SitesRun][] => {
      const off = runs.find((x) => x.round === round && x.mode === 'off');
      const on = runs.find((x) => x.round === round && x.mode === 'on');
      return off && on ? [[off, on]] : [];
    });
    if (pairs.length === 0) return [];
    const ons = pairs.map(([, on]) => on);
    const top = ons.filter((x) => x.top).at(-1)?.top;
    const unavailable = ons.find((x) => x.unavailable)?.unavailable;
    return [
      {
        runtime: c.runtime,
        label: c.label,
        requests: c.requests,
        pairs: pairs.length,
        cpu: paired(pairs, (x) => x.targetCpuMsPerKreq),
        rate: paired(pairs, (x) => x.rate),
        otherCores: median(pairs.flatMap(([off, on]) => [off.otherCores, on.otherCores])),
        readMs: ons.flatMap((x) => x.readMs ?? []),
        ...(top && { top }),
        ...(unavailable !== undefined && { unavailable }),
      },
    ];
  });
}

const NAMES: Record<SitesRuntime, string> = { go: 'Go', node: 'Node.js', jvm: 'JVM', python: 'Python' };
const PROFILER: Record<SitesRuntime, string> = {
  go: 'Go heap profile (always on in Go; read at rest)',
  node: "V8's sampling heap profiler, every 128 KiB",
  jvm: 'class histogram (at rest only)',
  python: 'tracemalloc, 1 frame, every allocation',
};

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const spread = (xs: readonly number[]) => (xs.length === 0 ? 'n/a' : `${pct(min(xs))} to ${pct(max(xs))}`);
const loads = (l: [number, number, number]) => l.map((x) => x.toFixed(2)).join(' ');

/** The goal rows of the benchmark's summary: CPU per request, the figure other jobs move least. */
export function sitesGoalRows(r: SitesCostResults): { goal: string; measured: string; met: boolean | undefined }[] {
  return sitesRows(r).map((row) => ({
    goal: `\`--sites on\` adds < ${SITES_GOAL * 100}% CPU per request, ${NAMES[row.runtime]}: ${PROFILER[row.runtime]}${row.runtime === 'python' ? ' (the documented exception)' : ''}`,
    measured: `${pct(row.cpu.change)} (rounds ${spread(row.cpu.changes)}); req/s ${pct(row.rate.change)}`,
    met: row.cpu.change === undefined ? undefined : row.cpu.change < SITES_GOAL,
  }));
}

export function renderSites(r: SitesCostResults, load: SectionLoad, heading = '## Allocation sites'): string[] {
  const rows = sitesRows(r);
  const out: string[] = [];
  out.push('');
  out.push(
    `${heading}: what \`--sites\` costs a server that leaks, per runtime (\`--engine net\`, ${r.connections} connections, ${r.rounds} round${r.rounds === 1 ? '' : 's'})`,
  );
  out.push('');
  out.push(
    '| runtime | profiler with `--sites on` | requests a burst | target CPU ms / 1,000 requests, off → on (medians) | change (median of rounds) | rounds from … to | req/s, off → on (medians) | change (median of rounds) | rounds from … to | sites read at rest (median) | grew most over the burst (share of the growth) | other jobs (cores, median) |',
  );
  out.push('| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | --- | ---: |');
  for (const x of rows) {
    const top = x.top
      ? `${x.top.site.replace(/\|/g, '\\|')}${x.top.share !== undefined ? ` (${Math.round(x.top.share * 100)}%)` : ''}`
      : x.unavailable
        ? `none: ${x.unavailable.replace(/\|/g, '\\|')}`
        : 'n/a';
    out.push(
      `| ${NAMES[x.runtime]} | ${PROFILER[x.runtime]} | ${int(x.requests)} | ${x.cpu.off.toFixed(1)} → ${x.cpu.on.toFixed(1)} | ${pct(x.cpu.change)} | ${spread(x.cpu.changes)} | ${int(x.rate.off)} → ${int(x.rate.on)} | ${pct(x.rate.change)} | ${spread(x.rate.changes)} | ${x.readMs.length > 0 ? `${int(median(x.readMs))} ms` : 'n/a'} | ${top} | ${x.otherCores.toFixed(2)} |`,
    );
  }
  out.push('');
  out.push('The servers:');
  out.push('');
  for (const c of r.cases) out.push(`- ${NAMES[c.runtime]}: ${c.label}.`);
  out.push('');
  out.push(
    'Each measurement is a fresh process started with the launch environment the pack gives a target with `--sites off` or `--sites on`, its runtime sources opened as a run opens them and read every second (the default sample interval), a warm-up burst of half the requests, a rest\'s end (a full collection; with `--sites on`, the allocation sites read, timed), the measured burst, a rest\'s end again; the two reads give "grew most". ' +
      'In each round every runtime runs both modes back to back, which goes first alternating by round; a change is on/off − 1 of one round\'s pair, and "rounds from … to" is the spread of those changes: the noise of the machine, which other jobs shared.',
  );
  out.push('');
  out.push(
    "What `--sites on` adds while a burst runs: for Go nothing (the runtime samples its heap profile whether or not anyone reads it) and for a JVM nothing (the histogram is taken at rest only), so their changes are the noise; for Node.js, V8's sampling heap profiler (a stack walk per sample, a sample per 128 KiB allocated on average); for Python, tracemalloc, which records every allocation and has no sampling rate (one frame a trace, the pack's setting, is the least it records). " +
      'The reads at rest cost the time in the table, between bursts, not during one.',
  );
  out.push('');
  const perRound = (runtime: SitesRuntime) => {
    const runs = r.runs.filter((y) => y.runtime === runtime);
    const cpu = (round: number, mode: SitesRun['mode']) =>
      runs.find((y) => y.round === round && y.mode === mode)?.targetCpuMsPerKreq.toFixed(0) ?? '–';
    return [...new Set(runs.map((y) => y.round))]
      .sort((a, b) => a - b)
      .map((round) => `${cpu(round, 'off')}/${cpu(round, 'on')}`)
      .join(', ');
  };
  out.push(
    `Per round, target CPU ms per 1,000 requests (off/on): ${rows.map((x) => `${NAMES[x.runtime]} ${perRound(x.runtime)}`).join('; ')}. ` +
      `Load average (1/5/15 min) before ${loads(load.before)}, after ${loads(load.after)}.`,
  );
  return out;
}
