import { readFile } from 'node:fs/promises';
import { LeakbenchError } from '../errors.ts';
import { errorCode } from './proc-fields.ts';

/**
 * Reads /proc/PID/smaps whole, for "where did it grow" (src/analyse/smaps.ts diffs two
 * snapshots). Read whole, because /proc files report size 0 and a copy that trusts the size
 * gets nothing; and so an empty read (a zombie, a kernel thread) is caught instead of becoming
 * a snapshot that would later parse as "no mappings at all".
 *
 * Reading smaps walks every mapping under the process's mmap lock, so this is for phase
 * boundaries, not for every sample (smaps_rollup is the per-sample figure).
 */
export async function readSmaps(pid: number): Promise<string> {
  const source = `/proc/${pid}/smaps`;
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new LeakbenchError(`cannot read ${source}: ${whyUnreadable(err, pid)}`);
  }
  if (text.trim() === '') {
    throw new LeakbenchError(
      `${source} is empty: process ${pid} has no address space (it is exiting, a zombie, or a kernel thread)`,
    );
  }
  return text;
}

function whyUnreadable(err: unknown, pid: number): string {
  switch (errorCode(err)) {
    case 'ENOENT':
    case 'ESRCH':
      return `process ${pid} is gone`;
    case 'EACCES':
    case 'EPERM':
      // smaps needs ptrace-read access, unlike /proc/PID/status.
      return `permission denied (reading another process's smaps needs the same user or CAP_SYS_PTRACE, and /proc/sys/kernel/yama/ptrace_scope may forbid it)`;
    default:
      return (err as Error).message;
  }
}
