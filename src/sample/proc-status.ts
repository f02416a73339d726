import { readFileSync } from 'node:fs';
import type { Sample } from '../rundir/schema.ts';
import { errorCode, parseProcFields, readProcFile } from './proc-fields.ts';

const SIZE_FIELDS = { VmRSS: 'vmRss', RssAnon: 'rssAnon', RssFile: 'rssFile', VmHWM: 'vmHwm' } as const;

/** Memory figures of /proc/PID/status, in bytes, and the thread count. */
export function parseProcStatus(text: string): Partial<Sample> {
  const fields = parseProcFields(text);
  const out: Partial<Sample> = {};
  for (const [name, key] of Object.entries(SIZE_FIELDS)) {
    const v = fields.get(name);
    if (v !== undefined) out[key] = v;
  }
  const threads = fields.get('Threads');
  if (threads !== undefined) out.threads = threads;
  return out;
}

/** The one-letter state of the "State:" line, e.g. "S", "R", "Z". */
export function parseProcState(text: string): string | undefined {
  return /^State:\s+(\S)/m.exec(text)?.[1];
}

/**
 * The process no longer exists, or has exited and waits to be reaped (a zombie keeps its
 * /proc entry but no memory lines, and its pid may soon belong to another process).
 */
export class ProcessGoneError extends Error {
  readonly pid: number;
  constructor(pid: number, detail: string) {
    super(`process ${pid} is gone (${detail})`);
    this.name = 'ProcessGoneError';
    this.pid = pid;
  }
}

export function statusPath(pid: number): string {
  return `/proc/${pid}/status`;
}

function goneDetail(pid: number, err: unknown): string | undefined {
  const code = errorCode(err);
  // ESRCH comes from reading a /proc file whose process exited after the open.
  if (code === 'ENOENT' || code === 'ESRCH') return `${statusPath(pid)}: ${code}`;
  return undefined;
}

function checkAlive(pid: number, text: string): void {
  const state = parseProcState(text);
  if (state === 'Z' || state === 'X')
    throw new ProcessGoneError(pid, 'it has exited and is a zombie waiting for its parent');
}

export async function readProcStatus(pid: number): Promise<Partial<Sample>> {
  let text: string;
  try {
    text = await readProcFile(statusPath(pid));
  } catch (err) {
    const detail = goneDetail(pid, err);
    throw detail ? new ProcessGoneError(pid, detail) : err;
  }
  checkAlive(pid, text);
  return parseProcStatus(text);
}

/** Synchronous liveness check, for deciding whether another /proc failure means the process exited. */
export function isProcessGone(pid: number): boolean {
  try {
    checkAlive(pid, readFileSync(statusPath(pid), 'utf8'));
    return false;
  } catch (err) {
    return err instanceof ProcessGoneError || goneDetail(pid, err) !== undefined;
  }
}
