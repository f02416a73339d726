import { spawn } from 'node:child_process';

/**
 * Process groups the pack started and has not yet seen exit. On any way out of the pack
 * (normal end, error, signal, uncaught exception) the entry point's exit hook kills what is
 * left, so no server outlives the run. For the one way out no hook sees, a SIGKILL of the pack
 * itself, each group gets a watchdog: a tiny detached shell that kills the group once the
 * pack's pid is gone.
 */
const live = new Map<number, number | undefined>();

function startWatchdog(pgid: number): number | undefined {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${pgid} 2>/dev/null`;
  try {
    const dog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
    dog.unref();
    dog.on('error', () => {});
    return dog.pid;
  } catch {
    return undefined;
  }
}

export function trackGroup(pgid: number): void {
  live.set(pgid, startWatchdog(pgid));
}

export function untrackGroup(pgid: number): void {
  const dog = live.get(pgid);
  live.delete(pgid);
  if (dog !== undefined) signalPid(dog, 'SIGKILL');
}

function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return signalPid(-pgid, signal);
}

/** Synchronous, so it can run in process.on('exit'). */
export function killAllGroups(): number {
  let killed = 0;
  for (const pgid of [...live.keys()]) {
    if (signalGroup(pgid, 'SIGKILL')) killed++;
    untrackGroup(pgid);
  }
  return killed;
}

export function liveGroups(): number[] {
  return [...live.keys()];
}
