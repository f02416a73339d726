import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

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

/** CPU seconds the whole machine has spent in processes (all CPUs), from the first line of /proc/stat. */
export function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: interrupt time is left out because
  // loopback traffic is partly processed in softirq, charged to no process, so our own load
  // would show up as someone else's; steal is the hypervisor's.
  const [user = 0, nice = 0, system = 0] = f;
  return (user + nice + system) / TICKS_PER_S;
}

/**
 * Measures how much CPU everything else on the machine used while something of ours ran: the
 * machine's busy time less this process, its waited-for children and the target. Returned in
 * cores (CPU seconds per second). Children must have exited by stop(), since their CPU is only
 * credited to us when they are waited for.
 */
export function otherCpuMeter(targetPid?: number): { stop(): number } {
  const oursNow = () => ownCpuS() + waitedChildrenCpuS() + (targetPid === undefined ? 0 : processCpuS(targetPid));
  const t0 = performance.now();
  const busy0 = machineBusyS();
  const ours0 = oursNow();
  return {
    stop() {
      const wall = (performance.now() - t0) / 1000;
      const ours = oursNow() - ours0;
      return Math.max(0, (machineBusyS() - busy0 - ours) / Math.max(wall, 1e-3));
    },
  };
}
