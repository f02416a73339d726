import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, LeakbenchError } from '../errors.ts';
import { checkSchema } from './ndjson.ts';
import type { SchemaId } from './schema.ts';

/** How the pack writes a JSON file: two-space indents and a final newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, jsonText(value));
    renameSync(tmp, path);
  } catch (err) {
    throw new LeakbenchError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export function readJson<T extends { schema: string }>(path: string, schema: SchemaId): T {
  const name = basename(path);
  if (!existsSync(path)) throw new LeakbenchError(`${path}: file is missing`, ExitCode.badRunDir);
  let value: T;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new LeakbenchError(`${name}: not valid JSON (${(err as Error).message})`, ExitCode.badRunDir);
  }
  checkSchema(name, value.schema, schema);
  return value;
}
