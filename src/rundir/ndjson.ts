import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, LeakbenchError } from '../errors.ts';
import type { NdjsonHeader, SchemaId } from './schema.ts';

/**
 * Appends one JSON line per record with a synchronous write, so that a crash, an OOM kill of
 * the pack or Ctrl-C loses at most the record being written. Rates here are at most tens of
 * lines a second, so the syscall per line costs nothing that matters.
 */
export class NdjsonWriter<T> {
  readonly path: string;
  private fd: number | undefined;

  constructor(path: string, header: NdjsonHeader) {
    this.path = path;
    try {
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new LeakbenchError(`cannot write ${path}: ${(err as Error).message}`);
    }
    this.writeLine(header);
  }

  write(record: T): void {
    this.writeLine(record);
  }

  private writeLine(value: unknown): void {
    if (this.fd === undefined) throw new Error(`${this.path} is closed`);
    try {
      writeSync(this.fd, JSON.stringify(value) + '\n');
    } catch (err) {
      throw new LeakbenchError(`cannot write ${this.path}: ${(err as Error).message}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

export interface NdjsonContents<T> {
  header: NdjsonHeader;
  records: T[];
  /** Problems that did not stop reading, e.g. a last line cut short by a crash. */
  warnings: string[];
}

/**
 * Reads an NDJSON file written by NdjsonWriter and checks its schema. A line that is not JSON
 * is an error naming the file and line, except the last line: a run killed mid-write leaves
 * one partial line, and everything before it is still good.
 */
export function readNdjson<T>(path: string, schema: SchemaId): NdjsonContents<T> {
  const name = basename(path);
  if (!existsSync(path)) throw new LeakbenchError(`${path}: file is missing`, ExitCode.badRunDir);
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new LeakbenchError(`${path}: file is empty (expected a ${schema} header line)`, ExitCode.badRunDir);
  let header: NdjsonHeader;
  try {
    header = JSON.parse(lines[0]!) as NdjsonHeader;
  } catch {
    throw new LeakbenchError(`${name}:1: not a JSON header line (expected {"schema":"${schema}",...})`, ExitCode.badRunDir);
  }
  checkSchema(name, header.schema, schema);
  const records: T[] = [];
  const warnings: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      if (i === lines.length - 1) {
        warnings.push(`${name}:${i + 1}: last line is cut short (the run was probably killed while writing it); ignored`);
      } else {
        throw new LeakbenchError(`${name}:${i + 1}: not valid JSON`, ExitCode.badRunDir);
      }
    }
  }
  return { header, records, warnings };
}

export function checkSchema(file: string, found: unknown, expected: SchemaId): void {
  if (found === expected) return;
  const [kind, version] = expected.split('/');
  if (typeof found === 'string' && found.startsWith(`${kind}/`)) {
    throw new LeakbenchError(
      `${file}: schema ${found} is not supported (this leakbench reads version ${version}); re-render it with the leakbench that wrote it`,
      ExitCode.badRunDir,
    );
  }
  throw new LeakbenchError(`${file}: expected schema "${expected}", found ${JSON.stringify(found)}`, ExitCode.badRunDir);
}
