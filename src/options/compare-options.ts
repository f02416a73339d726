import { resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { parseRunArgs, VARIANTS, type FailOn, type RunOptions, type Variant } from './run-options.ts';
import { positiveInt, runName } from './values.ts';

/** One run of a comparison: a label (its directory's name), its build and round, and its checked options. */
export interface ComparedRunPlan {
  label: string;
  /** The build's label (--label); the same for every round of it. */
  build: string;
  /** 1-based; with --rounds 1, every run is round 1. */
  round: number;
  options: RunOptions;
}

/** --rounds: at most this many alternations of the builds. */
const MAX_ROUNDS = 10;

/** `leakbench compare`'s flags, checked, with every run's own options. */
export interface CompareOptions {
  scenario: string;
  /** The comparison's directory (absolute), not yet created; the runs go inside it. */
  dir: string;
  /** In the order they run: with --rounds N, every build once per round (base, head, base, head). */
  runs: ComparedRunPlan[];
  /** --baseline: the build the others are gated against; --fail-on then applies to the comparison. */
  baseline?: string;
  /** With --baseline: what fails the comparison (exit 4); the runs themselves are not gated. */
  failOn?: FailOn;
  rounds: number;
}

interface Split {
  rest: string[];
  variants?: Variant[];
  cmds: string[];
  labels: string[];
  out?: string;
  name?: string;
  baseline?: string;
  rounds?: string;
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
    else if (flag === '--baseline') out.baseline = take();
    else if (flag === '--rounds') out.rounds = take();
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
    throw new UsageError(
      s.baseline === undefined
        ? '--cmd: give two or more --cmd lines to compare (or none, for the bundled builds)'
        : `--baseline: one build only (one --cmd); give the baseline's command and the build to gate, each with --cmd and --label`,
    );
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
  const labels = targets.map((t) => t.label);
  const baseline = checkBaseline(s.baseline, labels);
  const rounds = s.rounds === undefined ? 1 : positiveInt('rounds', s.rounds, { max: MAX_ROUNDS });
  const nameOf = (label: string, round: number) => (rounds === 1 ? label : `${label}-r${round}`);
  if (rounds > 1)
    for (const l of labels)
      if (labels.some((other) => other !== l && other.startsWith(`${l}-r`)))
        throw new UsageError(
          `--label: with --rounds, ${JSON.stringify(l)} and its rounds' names (${l}-r1, ...) clash with another label`,
        );
  // Round by round, every build in turn, so that drift of the machine (other jobs, a warming
  // disk cache) falls on each build alike rather than on the one that ran last.
  const runs: ComparedRunPlan[] = [];
  let failOn: FailOn | undefined;
  for (let round = 1; round <= rounds; round++)
    for (const t of targets) {
      const name = nameOf(t.label, round);
      const parsed = parseRunArgs([...rest, ...t.args, '--out', dir, '--name', name]);
      if (parsed.help) throw new UsageError('--help: use npm run scenario:compare -- --help');
      let options = parsed.options;
      // With a baseline the comparison is gated, not each run: a -race build that grows like its
      // baseline passes.
      if (baseline !== undefined && options.failOn) {
        const { failOn: f, ...ungated } = options;
        failOn = f;
        options = ungated;
      }
      runs.push({ label: name, build: t.label, round, options });
    }
  return { scenario, dir, runs, rounds, ...(baseline !== undefined && { baseline }), ...(failOn && { failOn }) };
}

/** --baseline must name one of the builds, and leave at least one other to gate. */
function checkBaseline(raw: string | undefined, labels: readonly string[]): string | undefined {
  if (raw === undefined) return undefined;
  if (!labels.includes(raw))
    throw new UsageError(
      `--baseline: ${JSON.stringify(raw)} is not one of the builds (${labels.join(', ')}); name the build to compare the others against`,
    );
  if (labels.length < 2)
    throw new UsageError('--baseline: give a second build to compare against the baseline (two or more --cmd)');
  return raw;
}
