/**
 * What the GitHub Action's step reports after leakbench ran: its outputs (verdict kind, run
 * directory, RSS change, exit code) and the lines it adds to the job summary, read from the run
 * or comparison directory leakbench wrote. A run that never wrote its summary (bad flags, a
 * target that did not start) still gets outputs: the verdict is then `none`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatSignedMiB } from '../analyse/format.ts';
import { failOnReason, isGrowthVerdict } from '../run/fail-on.ts';
import { COMPARE_SCHEMA, comparisonMarkdown, type ComparisonFile } from '../report/compare.ts';
import { escapeHtml } from '../report/html.ts';
import { renderStepSummary } from '../report/step-summary.ts';
import { readJson } from '../rundir/json.ts';
import { FILES, SCHEMA, type RunFile } from '../rundir/schema.ts';
import { SUMMARY_SCHEMA, type SummaryFile } from '../analyse/summary-file.ts';
import { ExitCode } from '../errors.ts';
import { amount, type FigureComparison } from '../analyse/baseline-gate.ts';
import { ALL_VERDICT_KINDS, isVerdictKind, KIND_CLASSES, VERDICT_KINDS } from '../analyse/verdict-kinds.ts';
import type { Invocation } from './inputs.ts';

export interface BuildResult {
  label: string;
  dir: string;
  summary?: SummaryFile;
  run?: RunFile;
}

export interface ActionResult {
  outputs: {
    verdict: string;
    /** The verdict kind's class (growth, bounded, stable, cannot-tell), or none. */
    'verdict-class': string;
    verdicts: string;
    'run-dir': string;
    'output-dir': string;
    'rss-change': string;
    'rss-change-bytes': string;
    'exit-code': string;
    'summary-file': string;
    /** With baseline: regression or alike (the gate's decision), else none. */
    decision: string;
    /** With baseline: the figure that decided, its difference per 1,000 requests with its interval, in words. */
    difference: string;
    /** The same difference as a number (bytes, or goroutines/threads, per 1,000 requests). */
    'difference-per-1k': string;
  };
  /** Markdown for $GITHUB_STEP_SUMMARY beyond what `leakbench run` appends by itself. */
  stepSummary: string;
  exitCode: number;
}

/**
 * action.yml's descriptions of the `verdict` and `verdict-class` outputs, from the kinds'
 * table: a test fails when action.yml says otherwise, and prints what to write there.
 */
export function verdictOutputDescriptions(): { verdict: string; 'verdict-class': string } {
  return {
    verdict: `The verdict kind (${ALL_VERDICT_KINDS.join(', ')}; docs/verdicts.md says what each means), or none when the run wrote no summary. With compare, the first gated build that grew, else the first gated build.`,
    'verdict-class': `The class of that verdict kind (${Object.keys(KIND_CLASSES).join(', ')}; only growth fails fail-on growth), or none.`,
  };
}

function readBuild(label: string, dir: string): BuildResult {
  const summaryPath = join(dir, FILES.summary);
  if (!existsSync(summaryPath)) return { label, dir };
  return {
    label,
    dir,
    summary: readJson<SummaryFile>(summaryPath, SUMMARY_SCHEMA),
    run: readJson<RunFile>(join(dir, FILES.run), SCHEMA.run),
  };
}

const kindOf = (b: BuildResult) => b.summary?.diagnosis?.verdict.kind ?? 'none';
const classNameOf = (kind: string) => (isVerdictKind(kind) ? VERDICT_KINDS[kind].class : undefined);

function rssChange(b: BuildResult | undefined): number | undefined {
  const rss = b?.summary?.memory.find((m) => m.key === 'vmRss');
  return rss === undefined ? undefined : rss.end - rss.start;
}

/** The comparison (compare.json, when written) and each build's summary, or the one run's. */
function readBuilds(inv: Invocation, dir: string): { comparison?: ComparisonFile; builds: BuildResult[] } {
  if (inv.mode !== 'compare') return { builds: [readBuild(inv.labels[0]!, dir)] };
  const comparison = existsSync(join(dir, 'compare.json'))
    ? readJson<ComparisonFile>(join(dir, 'compare.json'), COMPARE_SCHEMA)
    : undefined;
  // With --rounds a build's runs are <label>-r1, <label>-r2: the first round speaks for it.
  const runDirOf = (label: string) =>
    join(dir, comparison?.runs.find((r) => (r.build ?? r.label) === label)?.dir ?? label);
  return { ...(comparison && { comparison }), builds: inv.labels.map((l) => readBuild(l, runDirOf(l))) };
}

/** Outputs and summary lines for a finished (or failed) leakbench command; `cwd` is where it ran. */
export function collectResult(inv: Invocation, cliExitCode: number, cwd: string, outputDir: string): ActionResult {
  const dir = resolve(cwd, inv.dir);
  const { comparison, builds } = readBuilds(inv, dir);
  // The verdict reported is the one that decides: the first gated build that grew, else the first gated build.
  const gated = builds.filter((b) =>
    inv.baseline !== undefined ? b.label !== inv.baseline : inv.gate === undefined || inv.gate.includes(b.label),
  );
  const fails = (b: BuildResult): boolean =>
    b.summary !== undefined &&
    (inv.failOn ? failOnReason(inv.failOn, b.summary) !== undefined : isGrowthVerdict(b.summary));
  const decisive = gated.find(fails) ?? gated[0];
  let exitCode = cliExitCode;
  if (exitCode === ExitCode.ok && inv.gate !== undefined && gated.some(fails)) exitCode = ExitCode.memoryGrowth;
  const change = rssChange(decisive);

  const lines: string[] = [];
  if (comparison) {
    // The job's page shows no images from the artifact, and links into it do not resolve.
    const md = comparisonMarkdown(comparison)
      .split('\n')
      .filter((l) => !l.startsWith('!['))
      .map((l) =>
        l
          .replace(/ — \[report\]\([^)]*\)$/, '')
          .replace(/^# /, '### ')
          .replace(/^## /, '#### '),
      );
    lines.push(...md);
    // `leakbench compare` leaves the per-run sections to its caller; each build's tables follow.
    // Its title would say "against cmd"; the build's label says which one, and folded, the
    // comparison stays the first thing on the page.
    for (const b of builds) {
      if (!b.summary || !b.run) continue;
      const section = renderStepSummary(b.summary, b.run, b.dir).replace(/^### .*\n/, '');
      lines.push(
        `<details><summary>${escapeHtml(b.label)}: ${escapeHtml(kindOf(b))} (${escapeHtml(b.summary.status)})</summary>`,
        '',
        section,
        '</details>',
        '',
      );
    }
  }
  const verdicts = Object.fromEntries(builds.map((b) => [b.label, kindOf(b)]));
  const gateNote = inv.baseline
    ? ` (baseline: ${inv.baseline}, ${comparison?.gate?.decision ?? 'no gate'})`
    : inv.gate
      ? ` (gate: ${inv.gate.join(', ')})`
      : '';
  const gate = gateOutputs(comparison);
  lines.push(
    `**leakbench action**: exit code ${exitCode}${exitCode === ExitCode.memoryGrowth ? ' (memory growth)' : ''}, verdict \`${decisive ? kindOf(decisive) : 'none'}\`${gateNote}` +
      (change === undefined ? '' : `, RSS change ${formatSignedMiB(change)}`) +
      `; the run directories are in \`${outputDir}\` and the job's artifact.`,
    '',
  );
  const summaryFile = inv.mode === 'compare' ? join(dir, 'compare.md') : join(dir, FILES.summaryMd);
  return {
    outputs: {
      verdict: decisive ? kindOf(decisive) : 'none',
      'verdict-class': (decisive && classNameOf(kindOf(decisive))) ?? 'none',
      verdicts: JSON.stringify(verdicts),
      'run-dir': dir,
      'output-dir': outputDir,
      'rss-change': change === undefined ? '' : formatSignedMiB(change),
      'rss-change-bytes': change === undefined ? '' : String(Math.round(change)),
      'exit-code': String(exitCode),
      'summary-file': existsSync(summaryFile) ? summaryFile : '',
      ...gate,
    },
    stepSummary: lines.join('\n'),
    exitCode,
  };
}

/**
 * The baseline gate's outputs: its decision, and the figure that decided it (the first that
 * retains more than the baseline; when none does, the one that retains most against its threshold).
 */
function gateOutputs(
  c: ComparisonFile | undefined,
): Pick<ActionResult['outputs'], 'decision' | 'difference' | 'difference-per-1k'> {
  const none = { decision: 'none', difference: '', 'difference-per-1k': '' };
  if (!c?.gate) return none;
  const build = c.gate.builds.find((b) => b.decision === 'regression') ?? c.gate.builds[0];
  const gating = build?.figures.filter((f) => f.gating) ?? [];
  // When none retains more: the figure that retains most against what it had to exceed (a
  // -race build's memory outside the runtime, not its flat goroutines).
  const weight = (f: FigureComparison) => Math.max(f.difference.per1k, f.head.per1k) / Math.max(f.threshold, 1e-9);
  const figure = gating.find((f) => f.decision === 'more') ?? [...gating].sort((a, b) => weight(b) - weight(a))[0];
  if (!build || !figure) return { ...none, decision: c.gate.decision };
  const d = figure.difference;
  return {
    decision: c.gate.decision,
    difference: `${build.label} against ${c.gate.baseline}, ${figure.label}: ${amount(d.per1k, figure.unit)} per 1,000 requests (95% CI ${amount(d.low, figure.unit)} to ${amount(d.high, figure.unit)})`,
    'difference-per-1k': String(d.per1k),
  };
}
