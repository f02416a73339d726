import { relative } from 'node:path';
import { ProgressLine } from '../console/progress.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { parseRunArgs, VARIANTS, type Variant } from '../options/run-options.ts';
import { runName } from '../options/values.ts';
import { renderComparison, type ComparedRun } from '../report/compare.ts';
import { createRunDir, timestamp } from '../run/run-dir.ts';
import { runScenario } from '../run/run-scenario.ts';
import type { CommandContext } from './context.ts';

export const COMPARE_HELP = `Usage: npm run scenario:compare -- [scenario] [run flags] [--variants plain,race | --cmd "A" --cmd "B" --url URL]

Runs one scenario (default soak) against each target in turn and writes one comparison report
(RSS overlaid, heap against RSS, a verdict table) in reports/compare-<scenario>-<timestamp>/.
  --variants plain,race   bundled builds to compare (default both)
  --cmd "<command line>"  repeat to compare your own builds instead (they share --url)
  --label NAME            repeat, one per --cmd in order: the builds' names (default cmd-1, cmd-2, ...)
Every other flag is passed to each run (see npm run scenario:soak -- --help).`;

interface Split {
  rest: string[];
  variants?: Variant[];
  cmds: string[];
  labels: string[];
  out?: string;
  name?: string;
  help: boolean;
}

/** Pulls out the flags that differ per run (or belong to the comparison); the rest go to every run. */
function split(args: string[]): Split {
  const out: Split = { rest: [], cmds: [], labels: [], help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const take = (): string => {
      if (eq > 0 && a.startsWith('--')) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag}: expected a value`);
      return v;
    };
    if (flag === '--variants') {
      const list = take().split(',').map((v) => v.trim()).filter(Boolean);
      for (const v of list) if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`--variants: expected a comma-separated list of ${VARIANTS.join(', ')}, got ${JSON.stringify(v)}`);
      if (list.length < 2) throw new UsageError('--variants: name at least two builds to compare, e.g. plain,race');
      out.variants = list as Variant[];
    } else if (flag === '--cmd') out.cmds.push(take());
    else if (flag === '--label') out.labels.push(runName('label', take()));
    else if (flag === '--out') out.out = take();
    else if (flag === '--name') out.name = runName('name', take());
    else if (flag === '--variant') throw new UsageError('--variant: use --variants plain,race with compare');
    else if (flag === '--help' || flag === '-h') out.help = true;
    else out.rest.push(a);
  }
  return out;
}

export async function compareCommand(args: string[], ctx: CommandContext): Promise<number> {
  const s = split(args);
  if (s.help) {
    ctx.out(COMPARE_HELP);
    return ExitCode.ok;
  }
  if (s.cmds.length === 1) throw new UsageError('--cmd: give two or more --cmd lines to compare (or none, for the bundled builds)');
  if (s.cmds.length > 0 && s.variants) throw new UsageError('--variants: not with --cmd (compare either bundled builds or your own commands)');
  if (s.labels.length > 0 && s.labels.length !== s.cmds.length) throw new UsageError(`--label: give one per --cmd (${s.cmds.length} --cmd, ${s.labels.length} --label)`);
  if (new Set(s.labels).size !== s.labels.length) throw new UsageError('--label: each build needs a name of its own');
  const positional = s.rest[0] !== undefined && !s.rest[0].startsWith('-');
  const rest = positional ? s.rest : ['soak', ...s.rest];
  const scenario = rest[0]!;
  const targets: { label: string; args: string[] }[] = s.cmds.length > 0
    ? s.cmds.map((c, i) => ({ label: s.labels[i] ?? `cmd-${i + 1}`, args: ['--cmd', c] }))
    : (s.variants ?? ['plain', 'race']).map((v) => ({ label: v, args: ['--variant', v] }));

  // Parse every run's options before starting any, so a bad flag costs nothing.
  const compareDir = createRunDir(s.out ?? 'reports', s.name ?? `compare-${scenario.replace(/[^\w.-]/g, '_')}-${timestamp()}`);
  const plans = targets.map((t) => {
    const parsed = parseRunArgs([...rest, ...t.args, '--out', compareDir, '--name', t.label]);
    if (parsed.help) throw new UsageError('--help: use npm run scenario:compare -- --help');
    return { ...t, options: parsed.options };
  });

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
  ctx.out(['', `comparison of ${scenario}:`, ...file.runs.map((r) => `  ${r.label}: ${r.verdict} — ${r.evidence}`), `  report: ${show}/index.html (compare.md, rss.png, heap-vs-rss.png)`].join('\n'));
  if (ctx.signal.aborted) return ctx.signal.reason === 'SIGTERM' ? 143 : ExitCode.interrupted;
  return exitCode;
}
