import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Where the memory controller of a process is, from /proc/PID/cgroup. */
export type MemoryCgroup = { version: 1; path: string; controllers: string[] } | { version: 2; path: string };

/**
 * Finds the memory cgroup in /proc/PID/cgroup text. Lines are "id:controllers:path"; cgroup v1
 * lists the controllers bound to each hierarchy, cgroup v2 has the single line "0::path". On a
 * hybrid host both appear; a controller can be bound to one hierarchy only, so when a v1
 * hierarchy has "memory" the v2 one does not account memory and v1 wins.
 */
export function parseProcCgroup(text: string): MemoryCgroup | undefined {
  let v2: MemoryCgroup | undefined;
  for (const line of text.split('\n')) {
    // The path may itself contain ':', so split on the first two only.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const id = line.slice(0, first);
    const list = line.slice(first + 1, second);
    const path = normalisePath(line.slice(second + 1));
    if (id === '0' && list === '') {
      v2 = { version: 2, path };
      continue;
    }
    const controllers = list.split(',');
    if (controllers.includes('memory')) return { version: 1, path, controllers };
  }
  return v2;
}

function normalisePath(raw: string): string {
  // The kernel appends " (deleted)" when the cgroup was removed while the process was in it.
  const path = raw.trim().replace(/ \(deleted\)$/, '');
  return path === '' ? '/' : posix.normalize(path);
}

export interface CgroupMount {
  /** The cgroup path mounted there ("/" unless the hierarchy was mounted from inside it). */
  root: string;
  mountPoint: string;
  version: 1 | 2;
  /** Super options: for v1 they include the hierarchy's controllers ("rw,memory"). */
  superOptions: string[];
}

/** cgroup mounts from /proc/self/mountinfo text (fields per proc(5)). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    const root = left[3];
    const mountPoint = left[4];
    if (root === undefined || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') {
      mounts.push({
        root: unescapeMountPath(root),
        mountPoint: unescapeMountPath(mountPoint),
        version: 2,
        superOptions: superOptions.split(','),
      });
    } else if (fsType === 'cgroup') {
      mounts.push({
        root: unescapeMountPath(root),
        mountPoint: unescapeMountPath(mountPoint),
        version: 1,
        superOptions: superOptions.split(','),
      });
    }
  }
  return mounts;
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export interface ResolveCgroupOptions {
  /** Where the cgroup hierarchies are mounted. */
  root?: string;
  /** /proc/self/mountinfo text; read when not given. Only mounts under `root` are used. */
  mountinfo?: string;
}

export type CgroupMemoryFile = { file: string; cgroup: MemoryCgroup } | { reason: string };

/**
 * The file that holds the memory use of the process's cgroup: memory.current (v2) or
 * memory.usage_in_bytes (v1). The path in /proc/PID/cgroup is relative to the root of the
 * hierarchy as seen from the cgroup namespace; a container that mounts its own cgroup at
 * /sys/fs/cgroup shows "/" (with a private cgroup namespace) or the full host path (without
 * one), so when the plain join does not exist the mount's root from mountinfo is stripped.
 */
export async function resolveCgroupMemoryFile(
  pid: number,
  options: ResolveCgroupOptions = {},
): Promise<CgroupMemoryFile> {
  const root = options.root ?? '/sys/fs/cgroup';
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch (err) {
    return { reason: `cannot read /proc/${pid}/cgroup: ${(err as Error).message}` };
  }
  const cgroup = parseProcCgroup(text);
  if (!cgroup)
    return { reason: `/proc/${pid}/cgroup names no memory cgroup (neither a v1 memory hierarchy nor a v2 "0::" line)` };

  const fileName = cgroup.version === 2 ? 'memory.current' : 'memory.usage_in_bytes';
  const candidates = [...new Set(candidateDirs(cgroup, root, options.mountinfo).map((dir) => join(dir, fileName)))];
  const file = candidates.find((f) => existsSync(f));
  if (file) return { file, cgroup };

  const tried = `tried ${candidates.join(', ')}`;
  if (cgroup.version === 2 && cgroup.path === '/') {
    return { reason: `the process is in the root cgroup v2 hierarchy, which has no memory.current (${tried})` };
  }
  const where = cgroup.version === 2 ? `cgroup v2 ${cgroup.path}` : `cgroup v1 memory ${cgroup.path}`;
  return {
    reason: `no ${fileName} for ${where} (${tried}; is the memory controller enabled and the hierarchy mounted under ${root}?)`,
  };
}

function candidateDirs(cgroup: MemoryCgroup, root: string, mountinfo: string | undefined): string[] {
  const rel = cgroup.path.replace(/^\/+/, '');
  const mountDirs =
    cgroup.version === 2
      ? [root, join(root, 'unified')] // "unified" is where hybrid hosts (systemd) mount v2
      : [join(root, 'memory'), join(root, cgroup.controllers.join(','))];
  const dirs = mountDirs.map((d) => join(d, rel));
  for (const mount of cgroupMounts(mountinfo)) {
    if (!isUnder(mount.mountPoint, root)) continue;
    if (cgroup.version === 2 ? mount.version !== 2 : mount.version !== 1 || !mount.superOptions.includes('memory'))
      continue;
    const inside = relativeToMountRoot(cgroup.path, mount.root);
    if (inside !== undefined) dirs.push(join(mount.mountPoint, inside));
  }
  return dirs;
}

function cgroupMounts(mountinfo: string | undefined): CgroupMount[] {
  if (mountinfo !== undefined) return parseCgroupMounts(mountinfo);
  try {
    return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

function isUnder(path: string, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return path === d || path.startsWith(d + '/');
}

function relativeToMountRoot(path: string, mountRoot: string): string | undefined {
  if (mountRoot === '/') return path;
  if (path === mountRoot) return '/';
  return path.startsWith(mountRoot + '/') ? path.slice(mountRoot.length) : undefined;
}

/** Bytes in use by the cgroup, from memory.current or memory.usage_in_bytes. */
export async function readCgroupMemory(file: string): Promise<number> {
  const text = (await readFile(file, 'utf8')).trim();
  const value = Number(text);
  if (text === '' || !Number.isSafeInteger(value) || value < 0)
    throw new Error(`${file}: expected a byte count, found ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}
