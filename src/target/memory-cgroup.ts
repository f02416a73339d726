import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LeakbenchError } from '../errors.ts';
import { resolveCgroupMemoryFile } from '../sample/cgroup.ts';

/**
 * A memory cgroup of the target's own with a limit, so it is OOM-killed like a pod at its
 * `resources.limits.memory`. Created as a child of the pack's own cgroup: that is the part of
 * the hierarchy a process (root in a container, or with delegation) can usually write.
 */
export interface MemoryCgroupHandle {
  version: 1 | 2;
  dir: string;
  limitBytes: number;
  /** Write a pid here to move that process in. */
  procsFile: string;
  /** How many times the kernel's OOM killer has fired in this cgroup so far. */
  oomKills(): number;
  remove(): void;
}

function parseCounter(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export async function createMemoryCgroup(name: string, limitBytes: number): Promise<MemoryCgroupHandle> {
  const own = await resolveCgroupMemoryFile(process.pid);
  if ('reason' in own)
    throw new LeakbenchError(`--memory-limit: cannot find the pack's own memory cgroup: ${own.reason}`);
  const parent = dirname(own.file);
  const version = own.cgroup.version;
  const dir = join(parent, name);
  const fail = (what: string, err: unknown): never => {
    throw new LeakbenchError(
      `--memory-limit: cannot ${what} (${(err as Error).message}); cgroups are not writable here. ` +
        'Run the pack as root, or inside a cgroup delegated to it (e.g. systemd-run --user --scope -p Delegate=yes npm run ...), or drop --memory-limit.',
    );
  };
  if (version === 2) {
    // v2 only gives children a memory controller if the parent enables it for its subtree.
    try {
      const enabled = readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8');
      if (!/\bmemory\b/.test(enabled)) writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
    } catch (err) {
      fail(`enable the memory controller under ${parent}`, err);
    }
  }
  try {
    if (!existsSync(dir)) mkdirSync(dir);
  } catch (err) {
    fail(`create ${dir}`, err);
  }
  const limitFile = join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
  try {
    writeFileSync(limitFile, String(limitBytes));
    if (version === 2) {
      // No swap, as in a pod: otherwise the limit only pushes the leak out to swap.
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    } else if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) {
      try {
        writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      } catch {
        // memsw must be >= the memory limit and is absent without swap accounting; fine either way.
      }
    }
  } catch (err) {
    try {
      rmdirSync(dir);
    } catch {
      // already gone
    }
    fail(`set ${limitFile}`, err);
  }
  const eventsFile = join(dir, version === 2 ? 'memory.events' : 'memory.oom_control');
  return {
    version,
    dir,
    limitBytes,
    procsFile: join(dir, 'cgroup.procs'),
    oomKills: () => {
      try {
        return parseCounter(readFileSync(eventsFile, 'utf8'), 'oom_kill');
      } catch {
        return 0;
      }
    },
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still has processes (a zombie not yet reaped) or already removed: the kernel frees it later.
      }
    },
  };
}

/** Wraps a launch so the process joins the cgroup before it runs a single instruction of its own. */
export function inCgroup(
  procsFile: string,
  command: { file: string; args: string[] } | { shell: string },
): { file: string; args: string[] } {
  if ('shell' in command)
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec /bin/sh -c "$1"', procsFile, command.shell] };
  return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, command.file, ...command.args] };
}
