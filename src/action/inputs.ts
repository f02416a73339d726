/**
 * The GitHub Action's inputs (action.yml), as its step receives them: INPUT_<NAME> variables,
 * the name upper-cased with dashes kept (`fail-on` is INPUT_FAIL-ON), as GitHub sets them for
 * JavaScript actions and as action.yml's composite step passes them on. Turned here into the
 * leakbench command line to run; pure, so every combination is checked without running it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseShellWords } from 'shell-quote';
import { UsageError } from '../errors.ts';
import { parseFailOn, type FailOn } from '../options/run-options.ts';
import { runName } from '../options/values.ts';

export interface ActionInputs {
  scenario: string;
  /** Command line that starts the user's server; empty: the bundled reproducer. */
  command: string;
  url: string;
  path: string;
  /** Bundled build when no command and no comparison: plain or race. */
  variant: string;
  preset: string;
  failOn: string;
  /** Labels of the compared builds the gate applies to; empty: all of them. */
  failOnBuilds: string[];
  memoryLimit: string;
  output: string;
  name: string;
  /** Builds to compare: `label: command line`, or bundled variant names. */
  compare: { label: string; command?: string }[];
  /** One of compare's labels: the build the others are gated against (compare --baseline). */
  baseline: string;
  /** More flags for leakbench, shell words. */
  args: string[];
}

/** An input as GitHub passes it: INPUT_ + the name upper-cased, spaces as underscores. */
export function inputVar(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function readInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[inputVar(name)] ?? '').trim();
}

const BUNDLED = ['plain', 'race'];

/** `compare:` lines: `label: command` each, or bundled variant names (one per line or comma-separated). */
export function parseCompare(raw: string): ActionInputs['compare'] {
  const lines = raw
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return [];
  const builds: ActionInputs['compare'] = [];
  for (const line of lines) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*:\s+(.+)$/.exec(line);
    if (m) builds.push({ label: runName('label', m[1]!), command: m[2]! });
    else
      for (const v of line
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)) {
        if (!BUNDLED.includes(v))
          throw new UsageError(
            `input compare: expected "label: command line" per line, or bundled builds (plain, race), got ${JSON.stringify(line)}`,
          );
        builds.push({ label: v });
      }
  }
  const withCommand = builds.filter((b) => b.command !== undefined).length;
  if (withCommand !== 0 && withCommand !== builds.length)
    throw new UsageError(
      'input compare: either every line is "label: command line" (your builds) or every one a bundled build (plain, race), not both',
    );
  if (builds.length < 2)
    throw new UsageError(`input compare: name two or more builds to compare, got ${builds.length}`);
  if (new Set(builds.map((b) => b.label)).size !== builds.length)
    throw new UsageError('input compare: each build needs a label of its own');
  return builds;
}

const ARG_INPUT: Record<string, string> = {
  out: 'output',
  name: 'name',
  'fail-on': 'fail-on',
  baseline: 'baseline',
  cmd: 'command or compare',
  label: 'compare',
  variant: 'variant',
  variants: 'compare',
  progress: 'none: the log has no terminal',
};

/** Shell words of the `args` input; operators (;, |, >) are refused, variables kept as written. */
export function parseArgsInput(raw: string): string[] {
  const words = parseShellWords(raw, (key) => `$${key}`);
  return words.map((w) => {
    if (typeof w !== 'string')
      throw new UsageError(
        `input args: expected flags and values, got a shell operator or comment in ${JSON.stringify(raw)}`,
      );
    // The step reads the verdict from the directory it named; these have inputs of their own.
    const flag = /^--(out|name|fail-on|baseline|cmd|label|variants?|progress)(=|$)/.exec(w)?.[1];
    if (flag)
      throw new UsageError(
        `input args: --${flag} is set by the action; use its input (${ARG_INPUT[flag] ?? flag}) instead`,
      );
    return w;
  });
}

export function readActionInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const get = (n: string) => readInput(env, n);
  return {
    scenario: get('scenario') || 'soak',
    command: get('command'),
    url: get('url'),
    path: get('path'),
    variant: get('variant'),
    preset: get('preset'),
    failOn: get('fail-on'),
    failOnBuilds: get('fail-on-builds')
      .split(/[,\s]+/)
      .filter(Boolean),
    memoryLimit: get('memory-limit'),
    output: get('output') || 'leakbench-reports',
    name: get('name'),
    compare: parseCompare(env[inputVar('compare')] ?? ''),
    baseline: get('baseline'),
    args: parseArgsInput(get('args')),
  };
}

export interface Invocation {
  mode: 'run' | 'compare';
  /** leakbench's arguments (after the program name). */
  argv: string[];
  /** The run directory (run) or comparison directory (compare) it will write, relative to the working directory. */
  dir: string;
  /** The builds' labels, in order (compare), or the one run's name. */
  labels: string[];
  /** compare with fail-on-builds: the labels whose growth fails the step (checked after the run). */
  gate?: string[];
  /** With gate: what fails a gated build (the fail-on input, parsed as leakbench parses --fail-on). */
  failOn?: FailOn;
  /** compare with baseline: the build the others are gated against (leakbench itself gates). */
  baseline?: string;
}

/** `baseline:` names one of the compared builds, and replaces fail-on-builds (it gates every other build). */
function checkBaseline(i: ActionInputs, labels: readonly string[]): void {
  if (!i.baseline) return;
  if (!labels.includes(i.baseline))
    throw new UsageError(
      `input baseline: ${JSON.stringify(i.baseline)} is not one of the compared builds (${labels.join(', ')})`,
    );
  if (i.failOnBuilds.length > 0)
    throw new UsageError('input fail-on-builds: not with baseline (every build but the baseline is gated against it)');
}

/**
 * The leakbench command for the inputs. The run directory is named here (--out and --name), so
 * the step knows where to read the verdict from; a name already taken in the output folder (a
 * second step of the same job) gets -2, -3, ... since a stored run is never overwritten.
 */
export function planInvocation(i: ActionInputs, exists: (path: string) => boolean = existsSync): Invocation {
  const common: string[] = [];
  if (i.path) common.push('--path', i.path);
  if (i.preset) common.push('--preset', i.preset);
  if (i.memoryLimit) common.push('--memory-limit', i.memoryLimit);
  common.push('--progress', 'off');
  // The same values as leakbench's --fail-on (growth, held>SIZE, or both), checked by its parser.
  let failOn: FailOn | undefined;
  try {
    failOn = i.failOn ? parseFailOn(i.failOn) : undefined;
  } catch (err) {
    throw new UsageError(`input fail-on: ${(err as Error).message.replace(/^--fail-on: /, '')}`);
  }
  const scenarioBase = i.scenario
    .replace(/^.*\//, '')
    .replace(/\.(ts|js|mjs)$/, '')
    .replace(/[^\w.-]/g, '_');
  const unique = (base: string): string => {
    const name = runName('name', base);
    if (!exists(join(i.output, name))) return name;
    for (let n = 2; ; n++) if (!exists(join(i.output, `${name}-${n}`))) return `${name}-${n}`;
  };

  if (i.compare.length > 0) return planCompare(i, common, failOn, unique(i.name || `compare-${scenarioBase}`));

  if (i.failOnBuilds.length > 0) throw new UsageError('input fail-on-builds: only with compare');
  if (i.baseline) throw new UsageError('input baseline: only with compare (name the builds, one of them the baseline)');
  const argv = ['run', i.scenario, ...common];
  let label: string;
  if (i.command) {
    if (!i.url) throw new UsageError('input url: the address your server answers on is needed with command');
    if (i.variant) throw new UsageError('input variant: applies to the bundled reproducer only, not with command');
    argv.push('--cmd', i.command, '--url', i.url);
    label = 'server';
  } else {
    if (i.url)
      throw new UsageError('input url: give command too (the action starts your server and stops it at the end)');
    label = i.variant || 'race';
    argv.push('--variant', label);
  }
  const name = unique(i.name || `${scenarioBase}-${label}`);
  argv.push('--out', i.output, '--name', name);
  if (i.failOn) argv.push('--fail-on', i.failOn);
  argv.push(...i.args);
  return { mode: 'run', argv, dir: join(i.output, name), labels: [name] };
}

/** `leakbench compare` for the compare input: each build's command and label, the baseline, the gate. */
function planCompare(i: ActionInputs, common: readonly string[], failOn: FailOn | undefined, name: string): Invocation {
  if (i.command) throw new UsageError('input command: not with compare (give each build its command line in compare)');
  if (i.variant) throw new UsageError('input variant: not with compare (name the bundled builds in compare)');
  const labels = i.compare.map((b) => b.label);
  checkBaseline(i, labels);
  for (const g of i.failOnBuilds)
    if (!labels.includes(g))
      throw new UsageError(
        `input fail-on-builds: ${JSON.stringify(g)} is not one of the compared builds (${labels.join(', ')})`,
      );
  const argv = ['compare', i.scenario, ...common, '--out', i.output, '--name', name];
  const own = i.compare[0]!.command !== undefined;
  if (own) {
    if (!i.url) throw new UsageError('input url: the address your builds answer on is needed with compare');
    for (const b of i.compare) argv.push('--cmd', b.command!, '--label', b.label);
    argv.push('--url', i.url);
  } else {
    if (i.url)
      throw new UsageError(
        'input url: only for your own server (compare lines "label: command"), not for the bundled builds',
      );
    argv.push('--variants', labels.join(','));
  }
  // Without fail-on-builds every build is gated, which leakbench itself does; with it, the
  // step checks the named builds' verdicts afterwards (the race build of a healthy Go server
  // grows by design, golang/go#63276, so a gate usually names the build that ships).
  const gated = failOn !== undefined && i.failOnBuilds.length > 0;
  if (i.baseline) argv.push('--baseline', i.baseline);
  if (failOn && !gated) argv.push('--fail-on', i.failOn);
  argv.push(...i.args);
  return {
    mode: 'compare',
    argv,
    dir: join(i.output, name),
    labels,
    ...(gated && { gate: i.failOnBuilds, failOn }),
    ...(i.baseline && { baseline: i.baseline }),
  };
}
