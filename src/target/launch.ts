import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { LeakbenchError } from '../errors.ts';
import { signalGroup, trackGroup, untrackGroup } from './process-group.ts';
import { waitUntilAnswers } from './readiness.ts';
import { inCgroup } from './memory-cgroup.ts';
import type { StderrTap } from './stderr-tap.ts';
import { LineTap } from './stderr-tap.ts';

export interface TargetExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchSpec {
  /** argv form for the bundled binary, or a shell command line for --cmd. */
  command: { file: string; args: string[] } | { shell: string };
  readyUrl: URL;
  readyTimeoutMs: number;
  /** The target's stdout and stderr go here, for the user and for error messages. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Join this cgroup (its cgroup.procs file) before the target starts, for --memory-limit. */
  cgroupProcsFile?: string;
  /**
   * Read stderr through the pack so runtime sources can take their lines (gctrace); the lines
   * they take go to this file instead of logFile (src/target/stderr-tap.ts).
   */
  runtimeLogFile?: string;
}

export interface LaunchedTarget {
  /** The process group leader (what we spawned). */
  pgid: number;
  /** The process to sample: the server itself, not a wrapping shell. */
  pid: number;
  exited: Promise<TargetExit>;
  exit: TargetExit | undefined;
  /** SIGTERM to the whole group, then SIGKILL after the grace period. */
  stop(graceMs: number): Promise<TargetExit>;
  /** Its stderr lines, when the spec asked for a runtime log. */
  stderrLines?: StderrTap;
}

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * `sh -c "cd x && ./server"` leaves a shell between us and the server: follow single-child
 * links down so the memory we sample is the server's, not the shell's.
 */
export function serverPid(leader: number): number {
  let pid = leader;
  for (let depth = 0; depth < 8; depth++) {
    const kids = children(pid);
    if (kids.length !== 1) break;
    pid = kids[0]!;
  }
  return pid;
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Signal names by number, for shells that report a killed child as exit code 128+N. */
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

export function describeExit(exit: TargetExit): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  const sig = exit.code !== null && exit.code > 128 ? SIGNALS[exit.code - 128] : undefined;
  return sig
    ? `exited with code ${exit.code} (its shell's way of saying the server was killed by ${sig})`
    : `exited with code ${exit.code}`;
}

export async function launchTarget(spec: LaunchSpec): Promise<LaunchedTarget> {
  const out = openSync(spec.logFile, 'a');
  const argv = spec.cgroupProcsFile
    ? inCgroup(spec.cgroupProcsFile, spec.command)
    : 'shell' in spec.command
      ? { file: '/bin/sh', args: ['-c', spec.command.shell] }
      : spec.command;
  const child = spawn(argv.file, argv.args, {
    detached: true,
    stdio: ['ignore', out, spec.runtimeLogFile ? 'pipe' : out],
    env: spec.env ?? process.env,
  });
  closeSync(out);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid === undefined) {
    const err = await spawnError;
    throw new LeakbenchError(`could not start the target: ${err.message}`);
  }
  const pgid = child.pid;
  trackGroup(pgid);
  const tap =
    spec.runtimeLogFile && child.stderr ? new LineTap(child.stderr, spec.logFile, spec.runtimeLogFile) : undefined;

  let exit: TargetExit | undefined;
  const exited = new Promise<TargetExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // With stderr read through the pack, its last lines may still be in the pipe: the exit
      // counts once they are in the log (at most a second, should a grandchild hold the pipe).
      const drained = tap
        ? Promise.race([tap.closed, new Promise<void>((r) => setTimeout(r, 1000).unref())])
        : Promise.resolve();
      void drained.then(() => {
        exit = { code, signal };
        resolve(exit);
      });
    });
  });
  // Reap the rest of the group when the leader goes, so no grandchild is left behind.
  void exited.then(() => {
    signalGroup(pgid, 'SIGKILL');
    untrackGroup(pgid);
  });

  const target: LaunchedTarget = {
    pgid,
    pid: pgid,
    exited,
    get exit() {
      return exit;
    },
    async stop(graceMs: number): Promise<TargetExit> {
      if (exit) return exit;
      signalGroup(pgid, 'SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') signalGroup(pgid, 'SIGKILL');
      return exited;
    },
    ...(tap && { stderrLines: tap }),
  };

  try {
    await waitUntilAnswers(spec.readyUrl, spec.readyTimeoutMs, () =>
      exit
        ? `the target ${describeExit(exit)} before answering at ${spec.readyUrl.href}${logTail(spec.logFile)}`
        : undefined,
    );
  } catch (err) {
    await target.stop(1000);
    throw new LeakbenchError(`target not ready: ${(err as Error).message}`);
  }
  target.pid = serverPid(pgid);
  return target;
}

function logTail(file: string): string {
  const t = tail(file);
  return t ? ` (its last output: ${t})` : '';
}
