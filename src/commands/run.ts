import { relative } from 'node:path';
import { requestLines } from '../load/describe-result.ts';
import { ProgressLine } from '../console/progress.ts';
import { ExitCode } from '../errors.ts';
import { parseRunArgs, RUN_HELP } from '../options/run-options.ts';
import { appendStepSummary } from '../report/step-summary.ts';
import { runScenario } from '../run/run-scenario.ts';
import type { CommandContext } from './context.ts';

const show = (p: string) => relative(process.cwd(), p) || p;

/** `leakbench run <scenario> [flags]`: collect, then render; returns the exit code. */
export async function runCommand(args: string[], ctx: CommandContext): Promise<number> {
  const parsed = parseRunArgs(args);
  if (parsed.help) {
    ctx.out(RUN_HELP);
    return ExitCode.ok;
  }
  const { options } = parsed;
  const progress = new ProgressLine(options.progress);
  const outcome = await runScenario(options, { log: (l) => progress.log(l), progress, signal: ctx.signal });
  if (outcome.status === 'failed' && outcome.endReason) ctx.err(`leakbench: ${outcome.endReason}`);
  const s = outcome.summary;
  const lines: string[] = [];
  lines.push(`\n${options.scenario} ${outcome.status}${outcome.endReason ? `: ${outcome.endReason}` : ''}`);
  for (const l of s?.load ?? []) {
    lines.push(
      `  ${l.phase}: ${l.completed.toLocaleString('en-US')}/${l.requested.toLocaleString('en-US')} responses in ${l.durationS.toFixed(1)}s ` +
        `(${Math.round(l.rate).toLocaleString('en-US')}/s), ${l.errors} errors, ${l.non2xx} non-2xx` +
        (l.latency ? `, latency p50 ${l.latency.p50} ms p99 ${l.latency.p99} ms` : ''),
    );
    const more = requestLines(l);
    if (more) lines.push(more);
  }
  if (s) lines.push(`  memory: ${s.headline}`);
  lines.push(`  report: ${show(outcome.dir)}/index.html (summary.md, memory.png, load.png)`);
  ctx.out(lines.join('\n'));
  // In GitHub Actions the job's page then shows this run's tables and verdict (docs/ci.md).
  if (s) {
    try {
      appendStepSummary(outcome.dir, process.env);
    } catch (err) {
      ctx.err(`warning: could not append to $GITHUB_STEP_SUMMARY: ${(err as Error).message}`);
    }
  }
  if (outcome.exitCode === ExitCode.interrupted && ctx.signal.reason === 'SIGTERM') return 143;
  return outcome.exitCode;
}
