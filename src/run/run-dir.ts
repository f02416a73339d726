import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Creates reports/<name>/ and refuses to reuse one: a stored run is never overwritten. */
export function createRunDir(outDir: string, name: string, cwd = process.cwd()): string {
  const root = isAbsolute(outDir) ? outDir : resolve(cwd, outDir);
  const dir = join(root, name);
  if (existsSync(dir)) throw new UsageError(`--name: ${dir} already exists; pick another name (stored runs are never overwritten)`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out: cannot create ${dir}: ${(err as Error).message}`);
  }
  return dir;
}
