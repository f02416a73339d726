import { readFileSync } from 'node:fs';

/**
 * Parses the "Key:   value [kB]" lines that /proc/PID/status and /proc/PID/smaps_rollup share.
 * The kernel's "kB" is KiB (it prints pages << (PAGE_SHIFT - 10)), so sizes become bytes by
 * multiplying by 1024. Lines with any other shape (masks, lists, the rollup header) are skipped.
 */
export function parseProcFields(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][\w()]*):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    fields.set(m[1]!, m[3] ? value * 1024 : value);
  }
  return fields;
}

/**
 * Reads a /proc file; a thin wrapper so callers' error messages carry the fs error code.
 *
 * Synchronously: the kernel writes the text out on read, with no disk behind it, so reading
 * status takes about 15 µs where the promise API's four thread-pool hops (open, stat, read,
 * close) cost about 100 µs of CPU, and the sampler reads /proc several times per sample
 * while a burst runs on the same thread (bench/results). A failure still rejects.
 */
export async function readProcFile(path: string): Promise<string> {
  return readFileSync(path, 'utf8');
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
