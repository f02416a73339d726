import { readdirSync, readlinkSync, readFileSync } from 'node:fs';

/**
 * TCP ports a process listens on at 127.0.0.1, from its own socket inodes (/proc/PID/fd) matched
 * in its network namespace's /proc/PID/net/tcp: the rows there are every process's, so the
 * inodes are what tie a port to this pid and not to its parent `npm` or a sibling.
 */
export function loopbackListeningPorts(pid: number, procRoot = '/proc'): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`${procRoot}/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // Closed between readdir and readlink.
    }
  }
  return parseListeningLoopback(readFileSync(`${procRoot}/${pid}/net/tcp`, 'utf8'), inodes);
}

const LISTEN = '0A';
// The kernel prints the address as a native-endian word: little-endian hosts show 127.0.0.1 reversed.
const LOOPBACK_HEX = new Set(['0100007F', '7F000001']);

/** Rows of /proc/net/tcp in LISTEN state on 127.0.0.1 whose inode is one of `inodes`. */
export function parseListeningLoopback(table: string, inodes: ReadonlySet<string>): number[] {
  const ports: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1]!.split(':');
    if (f[3] === LISTEN && LOOPBACK_HEX.has(addr!) && inodes.has(f[9]!)) ports.push(parseInt(port!, 16));
  }
  return ports;
}

/**
 * TCP ports a process listens on that 127.0.0.1 (or ::1) reaches: bound to a loopback address or
 * to every address (0.0.0.0, ::; Go's `:8080` binds ::, dual-stack). For a watched process whose
 * /metrics and /debug/pprof the user did not name. Empty when its sockets cannot be read.
 */
export function reachableListeningPorts(pid: number, procRoot = '/proc'): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`${procRoot}/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // Closed between readdir and readlink.
      }
    }
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const p of parseReachableListeners(text, inodes)) ports.add(p);
  }
  return [...ports].sort((a, b) => a - b);
}

const REACHABLE_HEX = new Set([
  ...LOOPBACK_HEX,
  '00000000',
  '00000000000000000000000000000000', // ::
  '00000000000000000000000001000000', // ::1, as a little-endian host prints it
  '0000000000000000FFFF00000100007F', // ::ffff:127.0.0.1
]);

/** Rows of /proc/net/tcp or tcp6 in LISTEN state on a loopback or wildcard address whose inode is one of `inodes`. */
export function parseReachableListeners(table: string, inodes: ReadonlySet<string>): number[] {
  const ports: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1]!.split(':');
    if (f[3] === LISTEN && REACHABLE_HEX.has(addr!.toUpperCase()) && inodes.has(f[9]!)) ports.push(parseInt(port!, 16));
  }
  return ports;
}
