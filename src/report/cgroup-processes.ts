import { formatMiB } from '../analyse/format.ts';
import type { CgroupProcess } from '../rundir/schema.ts';

/** A watched cgroup's processes in one line, for the console and the report: what each is, its RSS. */
export function describeCgroupProcesses(list: readonly CgroupProcess[], more: number): string {
  const one = (p: CgroupProcess) => {
    const name = p.executable ? p.executable.split('/').at(-1) : 'unknown executable';
    // Go's version names itself (go1.26.8); the others' are bare numbers.
    const runtime = p.runtime === 'other' || p.runtimeVersion?.startsWith(p.runtime) ? undefined : p.runtime;
    const what = [runtime, p.runtimeVersion, p.race && '-race'].filter(Boolean).join(' ');
    const where = p.cgroup ? ` in ${p.cgroup}` : '';
    return `pid ${p.pid} ${name}${what ? ` (${what})` : ''} ${formatMiB(p.rssBytes)}${where}${p.watched ? ', watched' : ''}`;
  };
  return list.map(one).join('; ') + (more > 0 ? `; and ${more} more` : '');
}
