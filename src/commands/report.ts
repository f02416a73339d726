import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { COMPARE_SCHEMA, renderComparison, type ComparisonFile } from '../report/compare.ts';
import { readJson } from '../rundir/json.ts';
import { FILES } from '../rundir/schema.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { renderReport } from '../report/render.ts';
import type { CommandContext } from './context.ts';
import { k6ImportCommand } from './k6-import.ts';

const show = (p: string) => relative(process.cwd(), p) || p;

/** `leakbench report <run dir | compare dir>`: re-render a stored run (or comparison) from its files alone. */
export async function reportCommand(args: string[], ctx: CommandContext): Promise<number> {
  if (args.some((a) => a === '--k6' || a.startsWith('--k6='))) return k6ImportCommand(args, ctx);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    throw new UsageError('report: expected one argument, the run directory (e.g. npm run report -- reports/burst-race-2026-11-26T10-00-00Z)');
  }
  const dir = args[0]!;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`report: ${dir} is not a directory`);
  // A comparison directory holds one run directory per build and a compare.json naming them.
  if (!existsSync(join(dir, FILES.run)) && existsSync(join(dir, 'compare.json'))) {
    const stored = readJson<ComparisonFile>(join(dir, 'compare.json'), COMPARE_SCHEMA);
    const { file, files } = await renderComparison(dir, stored.scenario, stored.runs.map((r) => ({ label: r.label, dir: join(dir, r.dir) })));
    ctx.out([...file.runs.map((r) => `${r.label}: ${r.verdict}`), `wrote ${files.map(show).join(', ')}`].join('\n'));
    return ExitCode.ok;
  }
  const { summary, files, warnings } = await renderReport(dir);
  for (const w of warnings) ctx.err(`warning: ${w}`);
  ctx.out(`${summary.headline}\nwrote ${files.map(show).join(', ')}`);
  return ExitCode.ok;
}
