/**
 * Process groups the pack started and has not yet seen exit. On any way out of the pack
 * (normal end, error, signal, uncaught exception) the entry point's exit hook kills what is
 * left, so no server outlives the run.
 */
const live = new Set<number>();

export function trackGroup(pgid: number): void {
  live.add(pgid);
}

export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Synchronous, so it can run in process.on('exit'). */
export function killAllGroups(): number {
  let killed = 0;
  for (const pgid of live) {
    if (signalGroup(pgid, 'SIGKILL')) killed++;
    live.delete(pgid);
  }
  return killed;
}

export function liveGroups(): number[] {
  return [...live];
}
