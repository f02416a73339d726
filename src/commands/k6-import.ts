import { relative } from 'node:path';
import { ExitCode } from '../errors.ts';
import { importK6 } from '../k6/import.ts';
import { parseK6ImportArgs } from '../options/k6-import-options.ts';
import { renderReport } from '../report/render.ts';
import type { CommandContext } from './context.ts';

export const K6_IMPORT_HELP = `npm run report -- --k6 <k6 output> [--k6 <another>...] [--samples <dir>] [--out reports] [--name NAME]

Turns a k6 run into a run directory and renders its report, as for a built-in run.
  --k6 PATH        a file or a directory of files, repeatable: k6's --out json or --out csv
                   stream (.gz too), the handleSummary JSON of the pack's scripts
                   (LEAKBENCH_SUMMARY), or a k6-operator runner's kubectl logs (both at once).
                   Several runners' outputs (k6-operator's instance_id tag) are merged.
  --samples PATH   a npm run sample run directory (or its samples.ndjson) recorded meanwhile;
                   joined by wall-clock time
  --out reports    --name NAME`;

/** `leakbench report --k6 ...`: import k6 outputs, then render like any run. */
export async function k6ImportCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseK6ImportArgs(args);
  if (o === 'help') {
    ctx.out(K6_IMPORT_HELP);
    return ExitCode.ok;
  }
  const { dir, run } = await importK6(o, (line) => ctx.err(line));
  const { summary, warnings } = await renderReport(dir);
  for (const w of warnings) ctx.err(`warning: ${w}`);
  const show = relative(process.cwd(), dir) || dir;
  const lines = [`k6 ${run.scenario}: ${run.k6?.runners.length ?? 0} runner(s), ${run.k6?.files.length ?? 0} file(s)`];
  for (const l of summary.load) {
    lines.push(
      `  ${l.phase}: ${l.completed.toLocaleString('en-US')}/${l.requested.toLocaleString('en-US')} responses in ${l.durationS.toFixed(1)}s, ${l.errors} errors, ${l.non2xx} non-2xx` +
        (l.latency ? `, latency p50 ${l.latency.p50} ms p99 ${l.latency.p99} ms` : ''),
    );
  }
  lines.push(`  memory: ${summary.headline}`, `  report: ${show}/index.html`);
  ctx.out(lines.join('\n'));
  return ExitCode.ok;
}
