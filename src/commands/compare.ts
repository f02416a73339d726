import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { SUMMARY_SCHEMA, type SummaryFile } from '../analyse/summary-file.ts';
import type { FailOn } from '../options/run-options.ts';
import { failOnReason } from '../run/fail-on.ts';
import { readJson } from '../rundir/json.ts';
import { FILES } from '../rundir/schema.ts';
import { ProgressLine } from '../console/progress.ts';
import { ExitCode } from '../errors.ts';
import { parseCompareArgs } from '../options/compare-options.ts';
import { renderComparison, type ComparedRun, type ComparisonFile } from '../report/compare.ts';
import { createRunDir, runDirName } from '../rundir/recorder.ts';
import { runScenario } from '../run/run-scenario.ts';
import type { CommandContext } from './context.ts';

export const COMPARE_HELP = `Usage: npm run scenario:compare -- [scenario] [run flags] [--variants plain,race | --cmd "A" --cmd "B" --url URL]

Runs one scenario (default soak) against each target in turn and writes one comparison report
(RSS overlaid, heap against RSS, a verdict table) in reports/compare-<scenario>-<timestamp>/.
  --variants plain,race   bundled builds to compare (default both)
  --cmd "<command line>"  repeat to compare your own builds instead (they share --url)
  --label NAME            repeat, one per --cmd in order: the builds' names (default cmd-1, cmd-2, ...)
  --baseline LABEL        the build the others are gated against: with --fail-on growth, exit 4 only when
                          another build retains more per 1,000 requests than it, beyond both runs' noise
                          and over twice its rate (per figure: goroutines/threads, live heap, outside the
                          runtime; RSS where the runtime has none), or, where no figure can be compared
                          (one burst), shows a kind of growth it does not
  --rounds N              run every build N times, alternating (base, head, base, head): drift of the
                          machine falls on each alike, and the gate pools the rounds (default 1)
Every other flag is passed to each run (see npm run scenario:soak -- --help).`;

export async function compareCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseCompareArgs(args, (scenario) => runDirName(['compare', scenario]));
  if (o === 'help') {
    ctx.out(COMPARE_HELP);
    return ExitCode.ok;
  }
  const { scenario, runs: plans, baseline } = o;
  const compareDir = createRunDir(dirname(o.dir), basename(o.dir));
  const runs: ComparedRun[] = [];
  let exitCode: number = ExitCode.ok;
  for (const [i, p] of plans.entries()) {
    if (ctx.signal.aborted) break;
    const round = o.rounds > 1 ? `, round ${p.round} of ${o.rounds}` : '';
    ctx.err(`\n[${i + 1}/${plans.length}] ${p.options.scenario} against ${p.build}${round}`);
    const progress = new ProgressLine(p.options.progress);
    const outcome = await runScenario(p.options, { log: (l) => progress.log(l), progress, signal: ctx.signal });
    runs.push({ label: p.label, dir: outcome.dir, build: p.build, round: p.round });
    ctx.err(`  ${p.label}: ${outcome.status}${outcome.summary ? ` — ${outcome.summary.headline}` : ''}`);
    if (outcome.exitCode !== ExitCode.ok && exitCode === ExitCode.ok) exitCode = outcome.exitCode;
  }
  const { file } = await renderComparison(compareDir, scenario, runs, baseline);
  const show = relative(process.cwd(), compareDir) || compareDir;
  ctx.out(
    [
      '',
      `comparison of ${scenario}:`,
      ...file.runs.map((r) => `  ${r.label}: ${r.verdict} — ${r.evidence}`),
      ...(file.warnings ?? []).map((w) => `  warning: ${w}`),
      ...gateLines(file),
      `  report: ${show}/index.html (compare.md, rss.png, heap-vs-rss.png)`,
    ].join('\n'),
  );
  if (ctx.signal.aborted) return ctx.signal.reason === 'SIGTERM' ? 143 : ExitCode.interrupted;
  if (exitCode !== ExitCode.ok || baseline === undefined || !o.failOn) return exitCode;
  const reason = gateFailure(file, o.failOn, runs);
  if (reason) ctx.err(`failing (exit 4): ${reason}`);
  return reason ? ExitCode.memoryGrowth : ExitCode.ok;
}

/** The gate's decision per build, for the console. */
function gateLines(file: ComparisonFile): string[] {
  if (file.baseline === undefined) return [];
  if (!file.gate) return [`  baseline gate: ${file.baseline} wrote no summary, nothing to compare against`];
  return file.gate.builds.map(
    (b) => `  baseline gate, ${b.label} against ${file.baseline}: ${b.decision} — ${b.words.join(' ')}`,
  );
}

/**
 * Why the baseline gate fails the comparison, or undefined: growth beyond the baseline's
 * (--fail-on growth), or a gated build holding more than --fail-on held>SIZE.
 */
function gateFailure(file: ComparisonFile, failOn: FailOn, runs: readonly ComparedRun[]): string | undefined {
  if (failOn.growth) {
    if (!file.gate) return `the baseline ${file.baseline} has no summary to compare against (--fail-on growth)`;
    const worse = file.gate.builds.filter((b) => b.decision === 'regression').map((b) => b.label);
    if (worse.length > 0)
      return `${worse.join(', ')} retain${worse.length === 1 ? 's' : ''} more than the baseline ${file.baseline} (--fail-on growth --baseline ${file.baseline})`;
  }
  if (failOn.heldBytes === undefined) return undefined;
  for (const r of runs) {
    if (r.build === file.baseline) continue;
    const summaryPath = join(r.dir, FILES.summary);
    if (!existsSync(summaryPath)) continue;
    const reason = failOnReason(
      { growth: false, heldBytes: failOn.heldBytes },
      readJson<SummaryFile>(summaryPath, SUMMARY_SCHEMA),
    );
    if (reason) return `${r.label}: ${reason}`;
  }
  return undefined;
}
