import { readFile, writeFile } from 'node:fs/promises';
import { LeakbenchError } from '../errors.ts';
import { errorCode } from './proc-fields.ts';

/**
 * Copies /proc/PID/smaps to `file`, for "where did it grow" (src/analyse/smaps.ts diffs two
 * of them). Read whole and then written, because /proc files report size 0 and a copy that
 * trusts the size writes nothing; and so an empty read (a zombie, a kernel thread) is caught
 * instead of leaving an empty file that would later parse as "no mappings at all".
 *
 * Reading smaps walks every mapping under the process's mmap lock, so this is for phase
 * boundaries, not for every sample (smaps_rollup is the per-sample figure).
 */
export async function captureSmaps(pid: number, file: string): Promise<void> {
  const source = `/proc/${pid}/smaps`;
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new LeakbenchError(`cannot read ${source}: ${whyUnreadable(err, pid)}`);
  }
  if (text.trim() === '') {
    throw new LeakbenchError(`${source} is empty: process ${pid} has no address space (it is exiting, a zombie, or a kernel thread)`);
  }
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new LeakbenchError(`cannot write the smaps snapshot ${file}: ${(err as Error).message}`);
  }
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
