import { relative } from 'node:path';
import { ExitCode, UsageError } from '../errors.ts';
import { importK6 } from '../k6/import.ts';
import { DEFAULTS } from '../options/defaults.ts';
import { runName } from '../options/values.ts';
import { renderReport } from '../report/render.ts';
import type { CommandContext } from './context.ts';
import { parseFlags } from '../options/parse-flags.ts';

export const K6_IMPORT_HELP = `npm run report -- --k6 <k6 output> [--k6 <another>...] [--samples <dir>] [--out reports] [--name NAME]

Turns a k6 run into a run directory and renders its report, as for a built-in run.
  --k6 PATH        a file or a directory of files, repeatable: k6's --out json or --out csv
                   stream (.gz too), the handleSummary JSON of the pack's scripts
                   (LEAKBENCH_SUMMARY), or a k6-operator runner's kubectl logs (both at once).
                   Several runners' outputs (k6-operator's instance_id tag) are merged.
  --samples PATH   a npm run sample run directory (or its samples.ndjson) recorded meanwhile;
                   joined by wall-clock time
  --out reports    --name NAME`;

const FLAGS = {
  k6: { type: 'string', multiple: true },
  samples: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `leakbench report --k6 ...`: import k6 outputs, then render like any run. */
export async function k6ImportCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(args, FLAGS, 'report --k6');
  if (v.help) {
    ctx.out(K6_IMPORT_HELP);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError(`report --k6: unexpected argument ${JSON.stringify(positionals[0])}; give each k6 output with its own --k6`);
  const inputs = v.k6 ?? [];
  if (inputs.length === 0) throw new UsageError('--k6: expected a k6 output file or directory');
  const { dir, run } = await importK6(
    { inputs, ...(v.samples !== undefined && { samples: v.samples }), outDir: v.out ?? DEFAULTS.outDir, ...(v.name !== undefined && { name: runName('name', v.name) }) },
    (line) => ctx.err(line),
  );
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
