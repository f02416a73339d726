import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { tempDir } from './synthetic-run.ts';

/**
 * A committed fixture run as the pack wrote it, in a temporary directory. NDJSON and smaps text
 * are stored gzipped to keep the repository small; they are unpacked to their own names (heap
 * profiles are gzip by nature and stay as they are).
 */
export function materialise(from: string, to: string = tempDir('leakbench-fixture-')): string {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    if (e.isDirectory()) {
      mkdirSync(join(to, e.name));
      materialise(src, join(to, e.name));
    } else if (/\.(ndjson|txt)\.gz$/.test(e.name)) {
      writeFileSync(join(to, e.name.slice(0, -3)), gunzipSync(readFileSync(src)));
    } else {
      copyFileSync(src, join(to, e.name));
    }
  }
  return to;
}
