import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isProcessGone } from '../../src/sample/proc-status.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real entry point (tsx scripts/leakbench.ts), as `npm run` would. */
export function runCli(
  args: string[],
  opts: {
    timeoutMs?: number;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    onStart?: (pid: number) => void;
    onStderr?: (stderrSoFar: string, pid: number) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'leakbench.ts'), ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (child.pid !== undefined) opts.onStderr?.(stderr, child.pid);
    });
    const timer = setTimeout(() => {
      // SIGTERM first, so the pack stops the target it started; SIGKILL if that hangs too.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`leakbench ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 120_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A zombie (exited, not yet reaped by whoever inherited it) counts as gone, as for the sampler. */
export function processAlive(pid: number): boolean {
  return !isProcessGone(pid);
}
