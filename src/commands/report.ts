import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ComparisonFile } from '../report/compare.ts';
import { readJson } from '../rundir/json.ts';
import { FILES } from '../rundir/schema.ts';
import { ExitCode } from '../errors.ts';
import { parseReportArgs } from '../options/report-options.ts';
import { renderReport } from '../report/render.ts';
import type { CommandContext } from './context.ts';

const show = (p: string) => relative(process.cwd(), p) || p;

/** `leakbench report <run dir | compare dir>`: re-render a stored run (or comparison) from its files alone. */
export async function reportCommand(args: string[], ctx: CommandContext): Promise<number> {
  const parsed = parseReportArgs(args);
  // The comparison's and k6's modules are imported only for them: a run's report is the usual case.
  if (parsed.k6) return (await import('./k6-import.ts')).k6ImportCommand(args, ctx);
  const { dir } = parsed;
  // A comparison directory holds one run directory per build and a compare.json naming them.
  if (!existsSync(join(dir, FILES.run)) && existsSync(join(dir, 'compare.json'))) {
    const { COMPARE_SCHEMA, renderComparison } = await import('../report/compare.ts');
    const stored = readJson<ComparisonFile>(join(dir, 'compare.json'), COMPARE_SCHEMA);
    const { file, files } = await renderComparison(
      dir,
      stored.scenario,
      stored.runs.map((r) => ({
        label: r.label,
        dir: join(dir, r.dir),
        ...(r.build !== undefined && { build: r.build }),
        ...(r.round !== undefined && { round: r.round }),
      })),
      stored.baseline,
    );
    ctx.out([...file.runs.map((r) => `${r.label}: ${r.verdict}`), `wrote ${files.map(show).join(', ')}`].join('\n'));
    return ExitCode.ok;
  }
  const { summary, files, warnings } = await renderReport(dir);
  for (const w of warnings) ctx.err(`warning: ${w}`);
  ctx.out(`${summary.headline}\nwrote ${files.map(show).join(', ')}`);
  return ExitCode.ok;
}
