/**
 * One soak of a corpus server through the pack's real entry point (`leakbench run soak --cmd`),
 * bounded in time, and what it concluded: the verdict's kind and class, its first evidence
 * line, and the exit code of `--fail-on growth`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERDICT_KINDS, isVerdictKind, type KindClass } from '../../src/analyse/verdict-kinds.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { FILES } from '../../src/rundir/schema.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';

/**
 * The soak every server gets: the pack's `--preset ci` (two bursts of 200,000 requests over 100
 * connections, 10 s of probes at 2/s before, 40 s after each burst, samples every 500 ms), the
 * smallest settings the pack itself sizes for a verdict (src/options/presets.ts), gated by
 * `--fail-on growth` as a team's CI would be.
 */
export const SOAK_FLAGS = ['--preset', 'ci', '--fail-on', 'growth'] as const;

export interface SoakOutcome {
  /** The verdict's kind, or undefined when the run gave none (it failed or timed out). */
  kind?: string;
  /** The kind's class; `failed` when there is no verdict. */
  got: KindClass | 'failed';
  exitCode: number | null;
  /** The verdict's summary and its most telling evidence line, or why the run failed. */
  summary: string;
  evidence: string;
  wallS: number;
  runDir: string;
}

export interface SoakRequest {
  command: (port: number) => string;
  outDir: string;
  name: string;
  timeoutMs: number;
}

interface Exit {
  code: number | null;
  stderr: string;
  timedOut: boolean;
}

const running = new Set<ChildProcess>();

/** Stops the soaks under way (the pack then stops their targets): for an interrupted benchmark. */
export function stopSoaks(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** The CLI as `npm run scenario:soak` runs it; SIGTERM at the time limit (the pack stops its target), then SIGKILL. */
function runCli(args: string[], timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'leakbench.ts'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stderr, timedOut });
    });
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

export async function soakOnce(req: SoakRequest): Promise<SoakOutcome> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const exit = await runCli(
    ['run', 'soak', '--cmd', req.command(port), '--url', url, ...SOAK_FLAGS].concat([
      '--out',
      req.outDir,
      '--name',
      req.name,
      '--progress',
      'off',
    ]),
    req.timeoutMs,
  );
  const wallS = (performance.now() - started) / 1000;
  const runDir = join(req.outDir, req.name);
  const summaryPath = join(runDir, FILES.summary);
  const verdict = existsSync(summaryPath)
    ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as SummaryFile).diagnosis?.verdict
    : undefined;
  if (exit.timedOut || !verdict || !isVerdictKind(verdict.kind)) {
    const why = exit.timedOut ? `no verdict within ${Math.round(req.timeoutMs / 1000)} s` : 'no verdict';
    return {
      got: 'failed',
      exitCode: exit.code,
      summary: `${why} (exit ${exit.code})`,
      evidence: lastLines(exit.stderr, 3),
      wallS,
      runDir,
    };
  }
  return {
    kind: verdict.kind,
    got: VERDICT_KINDS[verdict.kind].class,
    exitCode: exit.code,
    summary: verdict.summary,
    evidence: verdict.evidence[0] ?? '',
    wallS,
    runDir,
  };
}
