#!/usr/bin/env -S npx tsx
/**
 * The one entry point: parses the command, runs it, and is the only place that decides the
 * exit code. Every stage below throws LeakbenchError for things the user can fix.
 */
import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { ProgressLine } from '../src/console/progress.ts';
import { ExitCode, LeakbenchError, UsageError } from '../src/errors.ts';
import { parseRunArgs, RUN_HELP } from '../src/options/run-options.ts';
import { renderReport } from '../src/report/render.ts';
import { runScenario } from '../src/run/run-scenario.ts';
import { killAllGroups } from '../src/target/process-group.ts';

const HELP = `leakbench: replay the traffic of gin-gonic/gin#3789 and watch a server's memory

  npm run scenario:idle  -- [flags]   kubelet-style probes, 1/s, new connection each (default 10m)
  npm run scenario:burst -- [flags]   1,000,000 requests over 100 keep-alive connections
  npm run report -- <run dir>         re-render a stored run's charts and summary

${RUN_HELP}`;

// Whatever way the process ends, a server the pack started does not outlive it.
process.on('exit', () => {
  killAllGroups();
});

const say = (line: string) => process.stderr.write(line + '\n');
const show = (p: string) => relative(process.cwd(), p) || p;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP + '\n');
    return command === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (command === 'run') return run(rest);
  if (command === 'report') return report(rest);
  throw new UsageError(`command: expected run or report, got ${JSON.stringify(command)}`);
}

async function run(args: string[]): Promise<number> {
  const parsed = parseRunArgs(args);
  if (parsed.help) {
    process.stdout.write(RUN_HELP + '\n');
    return ExitCode.ok;
  }
  const { options } = parsed;
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      say(`${sig} again: stopping now`);
      killAllGroups();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    say(`${sig}: stopping the load and the target, writing the report (press again to quit at once)`);
    abort.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = new ProgressLine(options.progress);
  const outcome = await runScenario(options, { log: (l) => progress.log(l), progress, signal: abort.signal });
  if (outcome.status === 'failed' && outcome.endReason) say(`leakbench: ${outcome.endReason}`);
  const s = outcome.summary;
  const lines: string[] = [];
  lines.push(`\n${options.scenario} ${outcome.status}${outcome.endReason ? `: ${outcome.endReason}` : ''}`);
  for (const l of s?.load ?? []) {
    lines.push(
      `  ${l.phase}: ${l.completed.toLocaleString('en-US')}/${l.requested.toLocaleString('en-US')} responses in ${l.durationS.toFixed(1)}s ` +
        `(${Math.round(l.rate).toLocaleString('en-US')}/s), ${l.errors} errors, ${l.non2xx} non-2xx` +
        (l.latency ? `, latency p50 ${l.latency.p50} ms p99 ${l.latency.p99} ms` : ''),
    );
  }
  if (s) lines.push(`  memory: ${s.headline}`);
  lines.push(`  report: ${show(outcome.dir)}/index.html (summary.md, memory.png, load.png)`);
  process.stdout.write(lines.join('\n') + '\n');
  if (outcome.exitCode === ExitCode.interrupted && abort.signal.reason === 'SIGTERM') return 143;
  return outcome.exitCode;
}

async function report(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    throw new UsageError('report: expected one argument, the run directory (e.g. npm run report -- reports/burst-race-2026-11-26T10-00-00Z)');
  }
  const dir = args[0]!;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`report: ${dir} is not a directory`);
  const { summary, files, warnings } = await renderReport(dir);
  for (const w of warnings) say(`warning: ${w}`);
  process.stdout.write(`${summary.headline}\nwrote ${files.map(show).join(', ')}\n`);
  return ExitCode.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof LeakbenchError) {
      say(`leakbench: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      say(`leakbench: internal error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = ExitCode.failure;
    }
  },
);
