/**
 * Plays GitHub Actions steps on this machine, as the runner would for what the pack's action
 * and example workflow use: `${{ }}` expressions evaluated by GitHub's own expression library
 * (@actions/expressions) against the inputs, steps, github, runner and env contexts; `run:`
 * steps as `bash --noprofile --norc -eo pipefail` scripts with their env and working
 * directory, GITHUB_OUTPUT (both `name=value` and `name<<DELIMITER` forms) read back into
 * steps.<id>.outputs, one GITHUB_STEP_SUMMARY file for the job; `uses:` steps are not run
 * (they need GitHub), but their evaluated `if:` and `with:` are recorded for the test to check.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string | number | boolean>;
  'working-directory'?: string;
}

export interface PlayedStep {
  step: Step;
  skipped: boolean;
  /** Exit status of a run: step; undefined for uses: and skipped steps. */
  status?: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** A uses: step's with:, evaluated. */
  with?: Record<string, string>;
}

export interface Job {
  /** Contexts by name: inputs, github, runner, env, steps (filled in as steps run). */
  contexts: Record<string, Json>;
  /** Directory steps run in unless they say otherwise (GITHUB_WORKSPACE for a workflow's steps). */
  cwd: string;
  /** Environment of every step (GITHUB_OUTPUT is set per step). */
  env: NodeJS.ProcessEnv;
  scratch: string;
  /** The job's status so far: false once a step failed. */
  ok: boolean;
}

const STATUS_FUNCTIONS = (job: Job): FunctionDefinition[] => [
  { name: 'always', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(true) },
  { name: 'success', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(job.ok) },
  { name: 'failure', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(!job.ok) },
  { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(false) },
];

export function evaluate(expr: string, job: Job): data.ExpressionData {
  const lexed = new Lexer(expr).lex();
  const funcs = STATUS_FUNCTIONS(job);
  const parsed = new Parser(lexed.tokens, Object.keys(job.contexts), funcs).parse();
  const context = JSON.parse(JSON.stringify(job.contexts), data.reviver) as data.Dictionary;
  return new Evaluator(parsed, context, new Map(funcs.map((f) => [f.name, f]))).evaluate();
}

/** A value with `${{ }}` in it, as the runner substitutes it. */
export function interpolate(value: string | number | boolean, job: Job): string {
  return String(value).replace(/\$\{\{(.*?)\}\}/gs, (_, e: string) => evaluate(e, job).coerceString());
}

/** A step's `if:`: with or without `${{ }}`; a step without one runs when the job has not failed (success()). */
export function condition(step: Step, job: Job): boolean {
  if (step.if === undefined) return job.ok;
  const m = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(step.if);
  return truthy(evaluate(m ? m[1]! : step.if, job));
}

/** GITHUB_OUTPUT's two forms: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: ${heredoc[1]} has no closing ${heredoc[2]}`);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    } else if (line.trim() !== '') {
      throw new Error(`GITHUB_OUTPUT: cannot read line ${JSON.stringify(line)}`);
    }
  }
  return out;
}

let counter = 0;

export function playStep(step: Step, job: Job, opts: { timeoutMs?: number } = {}): PlayedStep {
  const steps = job.contexts.steps as Record<string, Json>;
  if (!condition(step, job)) {
    if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
    return { step, skipped: true, stdout: '', stderr: '', outputs: {} };
  }
  if (step.uses !== undefined) {
    const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(v, job)]));
    if (step.id) steps[step.id] = { outputs: {}, outcome: 'success', conclusion: 'success' };
    return { step, skipped: false, stdout: '', stderr: '', outputs: {}, with: withValues };
  }
  if (step.run === undefined) throw new Error(`step ${step.name ?? step.id}: neither run nor uses`);
  const shell = step.shell ?? 'bash';
  if (shell !== 'bash') throw new Error(`step ${step.name ?? step.id}: shell ${shell} is not played here`);
  const n = ++counter;
  const script = join(job.scratch, `step-${n}.sh`);
  const outputFile = join(job.scratch, `step-${n}.output`);
  writeFileSync(script, interpolate(step.run, job));
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = { ...job.env, GITHUB_OUTPUT: outputFile };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(v, job);
  const cwd =
    step['working-directory'] === undefined ? job.cwd : resolve(job.cwd, interpolate(step['working-directory'], job));
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  const status = r.status ?? 1;
  if (status !== 0) job.ok = false;
  if (step.id)
    steps[step.id] = {
      outputs,
      outcome: status === 0 ? 'success' : 'failure',
      conclusion: status === 0 ? 'success' : 'failure',
    };
  return { step, skipped: false, status, stdout: r.stdout, stderr: r.stderr, outputs };
}

export interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

/**
 * A composite action called with `with`: inputs are its defaults overlaid with `with`, steps
 * run in the calling job's workspace with github.action_path set to the action's directory,
 * and its outputs are evaluated from its steps' outputs at the end.
 */
export function playCompositeAction(
  action: ActionMetadata,
  actionPath: string,
  withValues: Record<string, string>,
  caller: Job,
): { steps: PlayedStep[]; outputs: Record<string, string>; ok: boolean } {
  assertEqual(action.runs.using, 'composite');
  for (const k of Object.keys(withValues))
    if (!(k in action.inputs)) throw new Error(`input ${k} is not defined in action.yml`);
  const inputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(action.inputs)) inputs[k] = withValues[k] ?? String(spec.default ?? '');
  const github = { ...(caller.contexts.github as Record<string, Json>), action_path: actionPath };
  const job: Job = {
    ...caller,
    contexts: { ...caller.contexts, inputs, github, steps: {} },
    env: { ...caller.env, GITHUB_ACTION_PATH: actionPath },
    ok: true,
  };
  const played = action.runs.steps.map((s) => playStep(s, job));
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, interpolate(o.value, job)]));
  if (!job.ok) caller.ok = false;
  return { steps: played, outputs, ok: job.ok };
}

function assertEqual(a: string, b: string): void {
  if (a !== b) throw new Error(`expected ${b}, got ${a}`);
}
