import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseProcStatus } from '../sample/proc-status.ts';
import { buildSetting } from '../rundir/go-build.ts';
import type { CgroupProcess } from '../rundir/schema.ts';
import { identifyProcess } from '../target/identify.ts';

/**
 * A pod's cgroup holds its containers' cgroups below it (and a container's its own children):
 * cgroup.procs is read this deep below the one named.
 */
const MAX_DEPTH = 3;
/** Identified and kept in run.json, largest resident memory first; the rest are counted. */
const MAX_LISTED = 10;

/**
 * The processes of the cgroup named by --cgroup (its memory file), each identified as a --pid
 * target is (executable, runtime, Go build info), largest resident memory first. The one marked
 * watched is `pid` (--pid) wherever it is, else the first: the one the memory is most likely in,
 * which the pack watches as it would with --pid. Never throws: a cgroup that cannot be listed
 * gives a reason instead.
 */
export function cgroupProcesses(
  memoryFile: string,
  pid?: number,
): { processes: CgroupProcess[]; more: number } | { reason: string } {
  const root = dirname(memoryFile);
  const pids = new Map<number, string>();
  try {
    collectPids(root, root, 0, pids);
  } catch (err) {
    return { reason: `cannot list the processes of ${root}: ${(err as Error).message}` };
  }
  const found = [...pids].map(([pid, cgroup]) => ({ pid, cgroup, rssBytes: rssOf(pid) }));
  // A process gone between the listing and its status is left out (rssOf gave undefined).
  const alive = found.filter((p) => p.rssBytes !== undefined).sort((a, b) => b.rssBytes! - a.rssBytes!);
  const watched = pid ?? alive[0]?.pid;
  const processes = alive.slice(0, MAX_LISTED).map((p): CgroupProcess => {
    const id = identifyProcess(p.pid);
    const race = id.goBuild !== undefined && buildSetting(id.goBuild, '-race') === 'true';
    return {
      pid: p.pid,
      ...(p.cgroup !== '' && { cgroup: p.cgroup }),
      rssBytes: p.rssBytes!,
      ...(id.executable !== undefined && { executable: id.executable }),
      runtime: id.runtime,
      ...(id.runtimeVersion !== undefined && { runtimeVersion: id.runtimeVersion }),
      ...(race && { race }),
      ...(p.pid === watched && { watched: true }),
    };
  });
  return { processes, more: alive.length - processes.length };
}

function collectPids(root: string, dir: string, depth: number, into: Map<number, string>): void {
  const procs = join(dir, 'cgroup.procs');
  if (existsSync(procs)) {
    for (const line of readFileSync(procs, 'utf8').split('\n')) {
      const pid = Number(line.trim());
      if (Number.isInteger(pid) && pid > 0 && !into.has(pid)) into.set(pid, relative(root, dir));
    }
  }
  if (depth >= MAX_DEPTH) return;
  for (const name of readdirSync(dir)) {
    const sub = join(dir, name);
    if (statSync(sub, { throwIfNoEntry: false })?.isDirectory()) collectPids(root, sub, depth + 1, into);
  }
}

function rssOf(pid: number): number | undefined {
  try {
    // Kernel threads have no VmRSS; they stay out, as they have no memory of their own.
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')).vmRss;
  } catch {
    return undefined;
  }
}
