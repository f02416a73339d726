/**
 * The k6 harness (test/k6-harness, Go on grafana/sobek): built once per source/toolchain change
 * into the same cache as the bundled target, and run as a child process like `k6 run`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { ensureGoBinary } from './go-fixture.ts';
import { requireTool } from './tools.ts';

export const HARNESS_DIR = join(REPO_ROOT, 'test', 'k6-harness');

export function ensureHarnessBinary(): Promise<string> {
  return ensureGoBinary(HARNESS_DIR, 'k6-harness', 'k6-harness');
}

/** Skips the test without Go (failing instead under CI), else builds the harness. */
export async function harnessOrSkip(t: TestContext): Promise<string | undefined> {
  if (
    requireTool(t, 'go', 'the k6 harness is Go on grafana/sobek: install Go, then npm test builds test/k6-harness') ===
    undefined
  )
    return undefined;
  return ensureHarnessBinary();
}

export interface HarnessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `k6-harness <args>` with a clean environment: __ENV holds only what the test passes with -e. */
export function runHarness(bin: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<HarnessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `-e NAME=value` for each entry. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}
