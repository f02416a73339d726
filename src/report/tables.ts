import {
  formatCount,
  formatDuration,
  formatFigure,
  formatFigureChange,
  formatMs,
  formatRate,
} from '../analyse/format.ts';
import type { PhaseLoadSummary, RunFile, RuntimeName } from '../rundir/schema.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { buildSetting } from '../rundir/go-build.ts';
import { targetName } from './target-name.ts';
import { describeCgroupProcesses } from './cgroup-processes.ts';

/**
 * The report's content as plain, unescaped text, laid out once and rendered twice (Markdown and
 * HTML), so the two can never disagree. Escaping is the renderers' job, not this module's.
 */

export interface Table {
  head: string[];
  rows: string[][];
  /** Columns holding numbers, right-aligned. */
  numeric: boolean[];
}

export interface ReportContent {
  title: string;
  headline: string;
  /** Key-value facts about the run: status, target, versions. */
  facts: [string, string][];
  load: Table;
  statusCodes: Table;
  /** Steady phases: how the schedule was kept (empty without a steady phase). */
  schedule: Table;
  memory: Table;
  targetExits: Table;
  warnings: string[];
}

const NONE = '—';

export function reportContent(summary: SummaryFile, run: RunFile): ReportContent {
  return {
    title: `leakbench: ${summary.scenario === 'sample' ? 'sample of' : `${summary.scenario} against`} ${targetName(summary.target)}`,
    headline: summary.headline,
    facts: facts(summary, run),
    load: loadTable(summary.load),
    statusCodes: statusCodeTable(summary.load),
    schedule: scheduleTable(summary.load),
    memory: memoryTable(summary),
    targetExits: exitTable(summary),
    warnings: summary.warnings,
  };
}

function facts(summary: SummaryFile, run: RunFile): [string, string][] {
  const t = summary.target;
  const v = run.versions;
  const out: [string, string][] = [
    ['status', run.endReason ? `${summary.status}: ${run.endReason}` : summary.status],
    ['scenario', summary.scenario],
    ['target', [targetName(t), t.kind, t.variant && `${t.variant} build`].filter(Boolean).join(', ')],
    ['url', t.url],
  ];
  if (t.metricsUrl) out.push(['metrics url', t.metricsUrl]);
  if (t.pid !== undefined) out.push(['pid', String(t.pid)]);
  if (t.command) out.push(['command', t.command]);
  if (t.binary) out.push(['binary', t.binary]);
  if (t.buildFlags && t.buildFlags.length > 0) out.push(['build flags', t.buildFlags.join(' ')]);
  out.push(...identityFacts(summary));
  out.push(['started', run.startedAt]);
  out.push(['duration', formatDuration(summary.durationS)]);
  const versions = [
    `leakbench ${v.leakbench}`,
    `node ${v.node}`,
    `autocannon ${v.autocannon}`,
    v.go && `go ${v.go}`,
    v.os,
  ].filter(Boolean);
  out.push(['versions', versions.join(', ')]);
  return out;
}

function loadTable(load: readonly PhaseLoadSummary[]): Table {
  const head = [
    'phase',
    'kind',
    'requested',
    'sent',
    'completed',
    'errors',
    'timeouts',
    'non-2xx',
    'duration',
    'rate',
    'p50',
    'p90',
    'p99',
    'max',
    'pacing p50 / p99 / max',
  ];
  const rows = load.map((l) => [
    l.phase,
    l.kind,
    formatCount(l.requested),
    formatCount(l.sent),
    formatCount(l.completed),
    formatCount(l.errors),
    formatCount(l.timeouts),
    formatCount(l.non2xx),
    formatDuration(l.durationS),
    formatRate(l.rate),
    l.latency ? formatMs(l.latency.p50) : NONE,
    l.latency ? formatMs(l.latency.p90) : NONE,
    l.latency ? formatMs(l.latency.p99) : NONE,
    l.latency ? formatMs(l.latency.max) : NONE,
    // Steady phases: how late each send was against its schedule, the same measure as probe pacing.
    ...[l.pacing ?? l.steady?.sendLateness].map((p) =>
      p ? `${formatMs(p.p50)} / ${formatMs(p.p99)} / ${formatMs(p.max)}` : NONE,
    ),
  ]);
  return { head, rows, numeric: head.map((_, i) => i >= 2) };
}

function statusCodeTable(load: readonly PhaseLoadSummary[]): Table {
  const rows = load
    .filter((l) => Object.keys(l.statusCodes).length > 0)
    .map((l) => [
      l.phase,
      Object.entries(l.statusCodes)
        .map(([code, n]) => `${code} × ${formatCount(n)}`)
        .join(', ') +
        // A mix of requests: each one's answers, and those with a status it did not expect.
        (l.responsesByRequest
          ? `; by request: ${Object.entries(l.responsesByRequest)
              .map(([name, n]) => `${name} × ${formatCount(n)}`)
              .join(', ')}`
          : '') +
        (l.unexpectedStatus !== undefined ? `; unexpected status × ${formatCount(l.unexpectedStatus)}` : ''),
    ]);
  return { head: ['phase', 'status codes'], rows, numeric: [false, false] };
}

/** Requests due, not sent, sent late and how late: what the console's "schedule" line says. */
function scheduleTable(load: readonly PhaseLoadSummary[]): Table {
  const head = [
    'phase',
    'due',
    'not sent',
    'sent late',
    'send lateness p50 / p99 / max',
    'connections opened',
    'most in flight',
  ];
  const rows = load.flatMap((l) => {
    const s = l.steady;
    if (!s) return [];
    return [
      [
        l.phase,
        formatCount(s.scheduled),
        formatCount(s.notSent),
        `${formatCount(s.late)} (over ${formatMs(s.lateAfterMs)})`,
        `${formatMs(s.sendLateness.p50)} / ${formatMs(s.sendLateness.p99)} / ${formatMs(s.sendLateness.max)}`,
        formatCount(s.connectionsOpened),
        formatCount(s.peakInFlight),
      ],
    ];
  });
  return { head, rows, numeric: head.map((_, i) => i >= 1) };
}

function memoryTable(summary: SummaryFile): Table {
  const head = ['figure', 'samples', 'start', 'peak', 'peak at', 'end', 'change'];
  // A Prometheus server's figures (--prometheus-url) sit under the pack's own, marked as such.
  const prometheus = (summary.prometheusMemory ?? []).map((f) => ({ ...f, label: `${f.label} (prometheus)` }));
  const rows = [...summary.memory, ...prometheus].map((f) => [
    f.label,
    formatCount(f.samples),
    formatFigure(f.start, f.unit),
    formatFigure(f.peak, f.unit),
    formatDuration(f.peakT),
    formatFigure(f.end, f.unit),
    formatFigureChange(f.change, f.start, f.unit),
  ]);
  return { head, rows, numeric: head.map((_, i) => i >= 1) };
}

function exitTable(summary: SummaryFile): Table {
  const rows = (summary.targetExits ?? []).map((e) => [
    formatDuration(e.t),
    e.code === undefined || e.code === null ? NONE : String(e.code),
    e.signal ?? NONE,
    e.message ?? '',
  ]);
  return { head: ['time since start', 'exit code', 'signal', 'message'], rows, numeric: [true, true, false, false] };
}

/**
 * What the sampled process is: executable, command line, runtime and, for Go, how it was
 * built. A run that identified nothing says what is unknown rather than leaving it out.
 */
function identityFacts(summary: SummaryFile): [string, string][] {
  const t = summary.target;
  const procs: [string, string][] = t.cgroupProcesses
    ? [['cgroup processes', t.cgroupProcesses.length === 0 ? 'none' : describeCgroupProcesses(t.cgroupProcesses, 0)]]
    : [];
  return [...procs, ...processFacts(summary)];
}

function processFacts(summary: SummaryFile): [string, string][] {
  const t = summary.target;
  const id = t.identity;
  const runtime = summary.diagnosis?.runtime;
  if (!id) {
    const why =
      t.pid === undefined ? 'no process was read (attached by URL only, or imported)' : 'this run did not record it';
    return [
      [
        'runtime',
        runtime && runtime.name !== 'unknown'
          ? `${RUNTIME_NAMES[runtime.name]} (from ${runtime.from}); executable and build unknown: ${why}`
          : `unknown: ${why}`,
      ],
    ];
  }
  const out: [string, string][] = [];
  out.push(['executable', id.executable ?? 'unknown']);
  if (id.cmdline) out.push(['command line', id.cmdline.join(' ')]);
  out.push([
    'runtime',
    `${RUNTIME_NAMES[id.runtime]}${id.runtimeVersion ? ` ${id.runtimeVersion}` : ''} (${id.runtimeEvidence})`,
  ]);
  const go = id.goBuild;
  if (go) {
    const setting = (k: string): string | undefined => buildSetting(go, k);
    const race = setting('-race') === 'true';
    out.push([
      'go build',
      [
        go.goVersion,
        race ? 'build -race=true' : 'without -race',
        `CGO_ENABLED=${setting('CGO_ENABLED') ?? '?'}`,
        setting('-ldflags') !== undefined && `-ldflags=${JSON.stringify(setting('-ldflags'))}`,
        setting('GOARCH') && `${setting('GOOS') ?? ''}/${setting('GOARCH')}`,
      ]
        .filter(Boolean)
        .join(', '),
    ]);
    if (go.main) out.push(['main module', `${go.main.path} ${go.main.version}`]);
    if (go.deps.length > 0)
      out.push(['modules', go.deps.map((d) => `${d.path} ${d.replacedBy?.version || d.version}`).join(', ')]);
  }
  if (id.unknown) out.push(['not read', id.unknown]);
  return out;
}

const RUNTIME_NAMES: Record<RuntimeName | 'unknown', string> = {
  go: 'Go',
  node: 'Node.js',
  python: 'Python',
  jvm: 'JVM',
  other: 'other (not Go, Node.js, Python or a JVM)',
  unknown: 'unknown',
};
