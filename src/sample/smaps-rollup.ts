import type { Sample } from '../rundir/schema.ts';
import { parseProcFields, readProcFile } from './proc-fields.ts';

/** Pss and Anonymous of /proc/PID/smaps_rollup, in bytes. */
export function parseSmapsRollup(text: string): Partial<Sample> {
  const fields = parseProcFields(text);
  const out: Partial<Sample> = {};
  const pss = fields.get('Pss');
  if (pss !== undefined) out.pss = pss;
  const anonymous = fields.get('Anonymous');
  if (anonymous !== undefined) out.anonymous = anonymous;
  return out;
}

/**
 * smaps_rollup needs ptrace-read access to the process (same user, or CAP_SYS_PTRACE), unlike
 * status, so it can fail with EACCES where status works.
 */
export async function readSmapsRollup(pid: number): Promise<Partial<Sample>> {
  return parseSmapsRollup(await readProcFile(`/proc/${pid}/smaps_rollup`));
}
