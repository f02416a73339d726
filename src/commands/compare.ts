import { basename, dirname, relative } from 'node:path';
import { ProgressLine } from '../console/progress.ts';
import { ExitCode } from '../errors.ts';
import { parseCompareArgs } from '../options/compare-options.ts';
import { renderComparison, type ComparedRun } from '../report/compare.ts';
import { createRunDir, runDirName } from '../rundir/recorder.ts';
import { runScenario } from '../run/run-scenario.ts';
import type { CommandContext } from './context.ts';

export const COMPARE_HELP = `Usage: npm run scenario:compare -- [scenario] [run flags] [--variants plain,race | --cmd "A" --cmd "B" --url URL]

Runs one scenario (default soak) against each target in turn and writes one comparison report
(RSS overlaid, heap against RSS, a verdict table) in reports/compare-<scenario>-<timestamp>/.
  --variants plain,race   bundled builds to compare (default both)
  --cmd "<command line>"  repeat to compare your own builds instead (they share --url)
  --label NAME            repeat, one per --cmd in order: the builds' names (default cmd-1, cmd-2, ...)
Every other flag is passed to each run (see npm run scenario:soak -- --help).`;

export async function compareCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseCompareArgs(args, (scenario) => runDirName(['compare', scenario]));
  if (o === 'help') {
    ctx.out(COMPARE_HELP);
    return ExitCode.ok;
  }
  const { scenario, runs: plans } = o;
  const compareDir = createRunDir(dirname(o.dir), basename(o.dir));
  const runs: ComparedRun[] = [];
  let exitCode: number = ExitCode.ok;
  for (const [i, p] of plans.entries()) {
    if (ctx.signal.aborted) break;
    ctx.err(`\n[${i + 1}/${plans.length}] ${p.options.scenario} against ${p.label}`);
    const progress = new ProgressLine(p.options.progress);
    const outcome = await runScenario(p.options, { log: (l) => progress.log(l), progress, signal: ctx.signal });
    runs.push({ label: p.label, dir: outcome.dir });
    ctx.err(`  ${p.label}: ${outcome.status}${outcome.summary ? ` — ${outcome.summary.headline}` : ''}`);
    if (outcome.exitCode !== ExitCode.ok && exitCode === ExitCode.ok) exitCode = outcome.exitCode;
  }
  const { file } = await renderComparison(compareDir, scenario, runs);
  const show = relative(process.cwd(), compareDir) || compareDir;
  ctx.out(
    [
      '',
      `comparison of ${scenario}:`,
      ...file.runs.map((r) => `  ${r.label}: ${r.verdict} — ${r.evidence}`),
      `  report: ${show}/index.html (compare.md, rss.png, heap-vs-rss.png)`,
    ].join('\n'),
  );
  if (ctx.signal.aborted) return ctx.signal.reason === 'SIGTERM' ? 143 : ExitCode.interrupted;
  return exitCode;
}
