import { readFileSync } from 'node:fs';

/**
 * A target seen from the pack: in a container (another pid and mount namespace) its files are
 * under /proc/PID/root, and it names itself by its pid inside the namespace (NSpid's last
 * value), e.g. the JVM's /tmp/hsperfdata_<user>/<nspid> and /tmp/.java_pid<nspid>.
 */
export interface NamespacedPid {
  pid: number;
  /** The pid the process sees for itself (equal to pid outside a container). */
  nsPid: number;
  /** Real uid of the process. */
  uid?: number;
}

export function namespacedPid(pid: number, procRoot = '/proc'): NamespacedPid {
  const status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  return { pid, ...parseNsPid(status, pid) };
}

/** NSpid lists the pid in each nested namespace, outermost first (absent before Linux 4.1). */
export function parseNsPid(status: string, pid: number): { nsPid: number; uid?: number } {
  const ns = /^NSpid:\s+([\d\s]+)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number);
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return { nsPid: ns?.at(-1) ?? pid, ...(uid !== undefined && { uid: Number(uid) }) };
}

/** A path inside the target's mount namespace, read from the pack's. */
export function inTargetRoot(pid: number, path: string, procRoot = '/proc'): string {
  return `${procRoot}/${pid}/root${path}`;
}

/** The target's command line (empty when it cannot be read). */
export function cmdline(pid: number, procRoot = '/proc'): string[] {
  try {
    return readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** One variable of the target's environment as it started (absent when unreadable or unset). */
export function environVar(pid: number, name: string, procRoot = '/proc'): string | undefined {
  try {
    const prefix = `${name}=`;
    const entry = readFileSync(`${procRoot}/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}
