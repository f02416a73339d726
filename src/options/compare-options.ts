import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { parseRunArgs, VARIANTS, type RunOptions, type Variant } from './run-options.ts';
import { runName } from './values.ts';

/** One run of a comparison: a label (its directory's name) and its checked options. */
export interface ComparedRunPlan {
  label: string;
  options: RunOptions;
}

/** `leakbench compare`'s flags, checked, with every run's own options. */
export interface CompareOptions {
  scenario: string;
  /** The comparison's directory (absolute), not yet created; the runs go inside it. */
  dir: string;
  runs: ComparedRunPlan[];
}

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
      const list = take()
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      for (const v of list)
        if (!(VARIANTS as readonly string[]).includes(v))
          throw new UsageError(
            `--variants: expected a comma-separated list of ${VARIANTS.join(', ')}, got ${JSON.stringify(v)}`,
          );
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

/**
 * Checks the comparison's flags and every run's options before anything starts, so a bad flag
 * costs nothing (not even an empty comparison directory). `name` is the directory's name when
 * --name is not given.
 */
export function parseCompareArgs(args: string[], defaultName: (scenario: string) => string): CompareOptions | 'help' {
  const s = split(args);
  if (s.help) return 'help';
  if (s.cmds.length === 1)
    throw new UsageError('--cmd: give two or more --cmd lines to compare (or none, for the bundled builds)');
  if (s.cmds.length > 0 && s.variants)
    throw new UsageError('--variants: not with --cmd (compare either bundled builds or your own commands)');
  if (s.labels.length > 0 && s.labels.length !== s.cmds.length)
    throw new UsageError(`--label: give one per --cmd (${s.cmds.length} --cmd, ${s.labels.length} --label)`);
  if (new Set(s.labels).size !== s.labels.length) throw new UsageError('--label: each build needs a name of its own');
  const positional = s.rest[0] !== undefined && !s.rest[0].startsWith('-');
  const rest = positional ? s.rest : ['soak', ...s.rest];
  const scenario = rest[0]!;
  const targets: { label: string; args: string[] }[] =
    s.cmds.length > 0
      ? s.cmds.map((c, i) => ({ label: s.labels[i] ?? `cmd-${i + 1}`, args: ['--cmd', c] }))
      : (s.variants ?? ['plain', 'race']).map((v) => ({ label: v, args: ['--variant', v] }));
  const dir = resolve(s.out ?? DEFAULTS.outDir, s.name ?? defaultName(scenario.replace(/[^\w.-]/g, '_')));
  const runs = targets.map((t) => {
    const parsed = parseRunArgs([...rest, ...t.args, '--out', dir, '--name', t.label]);
    if (parsed.help) throw new UsageError('--help: use npm run scenario:compare -- --help');
    return { label: t.label, options: parsed.options };
  });
  return { scenario, dir, runs };
}
