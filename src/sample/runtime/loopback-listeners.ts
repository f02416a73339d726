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
