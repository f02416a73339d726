#!/usr/bin/env -S npx tsx
/**
 * The one entry point: picks the subcommand, runs it, and is the only place that decides the
 * exit code. Every stage below throws LeakbenchError for things the user can fix.
 */
import { COMMANDS } from '../src/commands/index.ts';
import { ExitCode, LeakbenchError, UsageError } from '../src/errors.ts';
import { killAllGroups } from '../src/target/process-group.ts';

// The run flags' help is imported only to be printed: its module pulls in the load engines.
const help =
  async (): Promise<string> => `leakbench: replay the traffic of gin-gonic/gin#3789 and watch a server's memory

  npm run scenario:idle  -- [flags]   kubelet-style probes, 1/s, new connection each (default 10m)
  npm run scenario:burst -- [flags]   1,000,000 requests over 100 keep-alive connections
  npm run report -- <run dir>         re-render a stored run's charts and summary

Commands (leakbench <command> when installed; npx leakbench or tsx scripts/leakbench.ts in a checkout):
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join('\n')}

${(await import('../src/options/run-options.ts')).RUN_HELP}`;

// Whatever way the process ends, a server the pack started does not outlive it.
process.on('exit', () => {
  killAllGroups();
});

const say = (line: string) => process.stderr.write(line + '\n');

const abort = new AbortController();
let signals = 0;
function onSignal(sig: NodeJS.Signals): void {
  signals++;
  if (signals > 1) {
    say(`${sig} again: stopping now`);
    killAllGroups();
    process.exit(sig === 'SIGINT' ? ExitCode.interrupted : 143);
  }
  say(`${sig}: stopping the load and the target, writing the report (press again to quit at once)`);
  abort.abort(sig);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(`command: expected one of ${Object.keys(COMMANDS).join(', ')}, got ${JSON.stringify(name)}`);
  const run = await command.load();
  return run(rest, { out: (t) => process.stdout.write(t + '\n'), err: say, signal: abort.signal });
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
    // Signals are not listened for after main ends, so a stray one ends the process normally.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
);
