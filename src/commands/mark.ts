import { relative } from 'node:path';
import { ExitCode, UsageError } from '../errors.ts';
import { MARK_NAMES, type MarkName } from '../analyse/phase-detect.ts';
import { DEFAULTS } from '../options/defaults.ts';
import { parseFlags } from '../options/parse-flags.ts';
import { appendMark, newestRunningRun } from '../rundir/marks.ts';
import type { CommandContext } from './context.ts';

export const MARK_HELP = `leakbench mark <burst-start|burst-end|rest> [--run-dir DIR | --out reports]

Marks the load of a watched run (leakbench sample) from another shell: burst-start when your
load tool starts, burst-end (or rest) when it ends. The report's phases are then the marks'.
Without --run-dir, the newest run still running under --out (reports by default).`;

/** `leakbench mark NAME`: one line in the running run's marks file. */
export async function markCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(
    args,
    { 'run-dir': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    'mark',
  );
  if (v.help) {
    ctx.out(MARK_HELP);
    return ExitCode.ok;
  }
  const name = positionals[0];
  if (positionals.length !== 1 || !(MARK_NAMES as readonly string[]).includes(name!))
    throw new UsageError(
      `mark: expected one of ${MARK_NAMES.join(', ')}, got ${JSON.stringify(positionals.join(' '))}`,
    );
  const dir = v['run-dir'] ?? newestRunningRun(v.out ?? DEFAULTS.outDir);
  const mark = appendMark(dir, name as MarkName);
  ctx.out(`${mark.name} at t=${mark.t.toFixed(1)} s in ${relative(process.cwd(), dir) || dir}`);
  return ExitCode.ok;
}
