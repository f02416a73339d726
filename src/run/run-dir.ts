import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LeakbenchError } from '../errors.ts';

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Creates reports/<name>/ and refuses to reuse one: a stored run is never overwritten. */
export function createRunDir(outDir: string, name: string, cwd = process.cwd()): string {
  const root = isAbsolute(outDir) ? outDir : resolve(cwd, outDir);
  const dir = join(root, name);
  if (existsSync(dir)) throw new LeakbenchError(`--name: ${dir} already exists; pick another name (stored runs are never overwritten)`, 2);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new LeakbenchError(`--out: cannot create ${dir}: ${(err as Error).message}`, 2);
  }
  return dir;
}
