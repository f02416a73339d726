import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, LeakbenchError } from '../errors.ts';
import { READABLE, type NdjsonHeader, type SchemaId } from './schema.ts';

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
  // Read as bytes, then decoded: Node 20's readFileSync(path, 'utf8') measured 1.5× slower on a 100 MB file.
  const text = readFileSync(path).toString('utf8');
  if (text === '')
    throw new LeakbenchError(`${path}: file is empty (expected a ${schema} header line)`, ExitCode.badRunDir);
  // Lines are cut out one at a time rather than split() into an array first: a run can have
  // a million probe lines, and the array of them all would double the memory of reading it.
  // A final newline ends the last line and starts none.
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  const lineEnd = (from: number) => {
    const e = text.indexOf('\n', from);
    return e < 0 || e > end ? end : e;
  };
  let header: NdjsonHeader;
  const headerEnd = lineEnd(0);
  try {
    header = JSON.parse(text.slice(0, headerEnd)) as NdjsonHeader;
  } catch {
    throw new LeakbenchError(
      `${name}:1: not a JSON header line (expected {"schema":"${schema}",...})`,
      ExitCode.badRunDir,
    );
  }
  checkSchema(name, header.schema, schema);
  const records: T[] = [];
  const warnings: string[] = [];
  let lineNo = 1;
  for (let start = headerEnd + 1; start <= end;) {
    const e = lineEnd(start);
    const line = text.slice(start, e);
    start = e + 1;
    lineNo++;
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      if (e === end) {
        warnings.push(
          `${name}:${lineNo}: last line is cut short (the run was probably killed while writing it); ignored`,
        );
      } else {
        throw new LeakbenchError(`${name}:${lineNo}: not valid JSON`, ExitCode.badRunDir);
      }
    }
  }
  return { header, records, warnings };
}

export function checkSchema(file: string, found: unknown, expected: SchemaId): void {
  if (found === expected || READABLE[expected]?.some((older) => older === found)) return;
  const [kind, version] = expected.split('/');
  if (typeof found === 'string' && found.startsWith(`${kind}/`)) {
    throw new LeakbenchError(
      `${file}: schema ${found} is not supported (this leakbench reads version ${version}); re-render it with the leakbench that wrote it`,
      ExitCode.badRunDir,
    );
  }
  throw new LeakbenchError(
    `${file}: expected schema "${expected}", found ${JSON.stringify(found)}`,
    ExitCode.badRunDir,
  );
}
