import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * The memory file of a cgroup the user names (`--cgroup`): the file itself
 * (memory.current, memory.usage_in_bytes), the cgroup's directory, or its path under the
 * cgroup mount as /proc/PID/cgroup writes it (e.g. /kubepods.slice/...). Returns the file, or
 * why none was found.
 */
export function resolveCgroupArg(raw: string, root = '/sys/fs/cgroup'): { file: string } | { reason: string } {
  const candidates = [raw];
  if (!isAbsolute(raw) || !existsSync(raw))
    candidates.push(join(root, raw), join(root, 'memory', raw), join(root, 'unified', raw));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    if (statSync(c).isFile()) return { file: c };
    for (const name of ['memory.current', 'memory.usage_in_bytes']) {
      if (existsSync(join(c, name))) return { file: join(c, name) };
    }
    return { reason: `${c} is a directory without memory.current (cgroup v2) or memory.usage_in_bytes (cgroup v1)` };
  }
  return { reason: `no such file or cgroup (tried ${[...new Set(candidates)].join(', ')})` };
}
