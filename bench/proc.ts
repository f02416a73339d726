import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

interface ProcCpu {
  ppid: number;
  /** Own CPU plus that of its waited-for children, in seconds. */
  cpuS: number;
}

/** Every process's CPU from /proc/PID/stat; processes that vanish while being read are skipped. */
function allProcesses(): Map<number, ProcCpu> {
  const out = new Map<number, ProcCpu>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const f = statFields(pid);
      out.set(pid, {
        ppid: Number(f[1]),
        cpuS: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_S,
      });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** This process, the target and everything they started (wrk, autocannon, a CLI and its target). */
function ours(procs: Map<number, ProcCpu>, targetPid: number | undefined): Set<number> {
  const mine = new Set<number>([process.pid]);
  if (targetPid !== undefined) mine.add(targetPid);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!mine.has(pid) && mine.has(p.ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  return mine;
}

/** User, nice and system time of the whole machine, from the first line of /proc/stat. */
function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0)) / TICKS_PER_S;
}

/**
 * Measures how much CPU other jobs on the machine used while something of ours ran: the
 * machine's user + system time (/proc/stat) less that of this process, the target and their
 * descendants (/proc/PID/stat, with the children they reaped). Returned in cores (CPU seconds per
 * second), never more than the machine has.
 *
 * Summing other processes one by one instead over-counts: a process that reaps a child in the
 * window gains the child's whole life in its cutime (a test runner reaping a minute-long build
 * shows up as tens of cores). Softirq time, where loopback traffic is partly handled, is left
 * out of both sides, since it cannot be told apart between our load and someone else's.
 */
export function otherCpuMeter(targetPid?: number): { stop(): number } {
  const t0 = performance.now();
  const before = allProcesses();
  const busy0 = machineBusyS();
  return {
    stop() {
      const wall = (performance.now() - t0) / 1000;
      const busy = machineBusyS() - busy0;
      const after = allProcesses();
      const mine = ours(new Map([...before, ...after]), targetPid);
      let own = 0;
      for (const pid of mine) {
        const a = after.get(pid);
        if (a) own += a.cpuS - (before.get(pid)?.cpuS ?? 0);
      }
      const other = Math.min(Math.max(0, busy - own), wall * availableParallelism());
      return other / Math.max(wall, 1e-3);
    },
  };
}
