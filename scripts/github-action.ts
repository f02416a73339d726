/**
 * The run step of the GitHub Action (action.yml at the repository root): reads the inputs
 * (INPUT_* variables), runs the leakbench CLI once as a child process (so its output, its
 * $GITHUB_STEP_SUMMARY section and its exit code are exactly those of `leakbench run` or
 * `leakbench compare`), then sets the step's outputs and adds the comparison and a closing
 * line to the job summary. Its exit code is leakbench's (4 also when a gated build grew).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { planInvocation, readActionInputs } from '../src/action/inputs.ts';
import { collectResult } from '../src/action/results.ts';
import { ExitCode, LeakbenchError } from '../src/errors.ts';
import { cliCommand } from '../src/package-paths.ts';

function runCli(argv: string[]): Promise<number> {
  const [node, ...pre] = cliCommand();
  return new Promise((done, fail) => {
    // A process group of its own, so a signal reaches leakbench once, from here: sent to both
    // (Ctrl-C in a terminal signals the whole group), the second would make it quit at once
    // without its report.
    const child = spawn(node!, [...pre, ...argv], { stdio: 'inherit', detached: true });
    // The runner cancels a job with SIGINT then SIGTERM: pass them on, so leakbench stops its
    // target and still writes the report.
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(code ?? (signal === 'SIGTERM' ? 143 : signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.failure));
    });
  });
}

async function main(): Promise<number> {
  const inputs = readActionInputs(process.env);
  const inv = planInvocation(inputs);
  const outputDir = resolve(inputs.output);
  mkdirSync(outputDir, { recursive: true });
  core.info(`leakbench ${inv.argv.map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`);
  const cliExit = await runCli(inv.argv);
  const result = collectResult(inv, cliExit, process.cwd(), outputDir);
  for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, result.stepSummary + '\n');
  if (result.exitCode !== cliExit)
    core.error(
      `memory over the gate in ${inv.gate?.join(', ')} (fail-on: ${inputs.failOn}): exit code ${result.exitCode}`,
    );
  return result.exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof LeakbenchError) {
      // Bad inputs: say which, and still give the outputs a value for the steps after.
      core.error(`leakbench action: ${err.message}`);
      core.setOutput('exit-code', String(err.exitCode));
      core.setOutput('verdict', 'none');
      core.setOutput('verdict-class', 'none');
      core.setOutput('decision', 'none');
      process.exitCode = err.exitCode;
    } else {
      core.error(`leakbench action: internal error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = ExitCode.failure;
    }
  },
);
