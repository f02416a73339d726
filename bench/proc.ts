import { readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc, in seconds. Throughput on a shared 2-core machine moves with
 * everyone else's load; CPU time per request moves much less, so it is reported beside it.
 */

const TICKS_PER_S = 100;

/** Fields after the command name in /proc/PID/stat (the name may contain spaces and parens). */
function statFields(pid: number | 'self'): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU of a process so far (utime + stime, fields 14 and 15 of stat). */
export function processCpuS(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
}

/**
 * CPU of this process's children that have exited and been waited for (cutime + cstime). A
 * child tool such as wrk is measured by reading this before it starts and after it exits.
 */
export function waitedChildrenCpuS(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_S;
}

/** This process's own CPU (all threads), from the kernel's accounting. */
export function ownCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a ?? NaN, b ?? NaN, c ?? NaN];
}
