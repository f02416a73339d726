/**
 * Starts a corpus server from source in a temporary folder: the file is copied there and built
 * there (go build, gcc), or run from there by its interpreter (node, python3, java's
 * single-file source launcher), so nothing of the repository's own builds or caches is used.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { CorpusServer } from './corpus.ts';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 5 * 60_000;

export interface PreparedServer {
  /** The --cmd line for a server listening on 127.0.0.1:port. */
  command: (port: number) => string;
  /** Seconds spent building (0 for a server run from source). */
  buildS: number;
}

const q = (s: string) => JSON.stringify(s);

async function build(cmd: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(cmd, args, { cwd, timeout: BUILD_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(`${cmd} is not installed, needed to build ${basename(cwd)}`, { cause: err });
    throw new Error(`${cmd} ${args.join(' ')} failed in ${basename(cwd)}: ${e.stderr?.trim() || e.message}`, {
      cause: err,
    });
  }
}

/** Copies the server into `root/<name>/` and builds it there when its runtime compiles ahead. */
export async function prepareServer(s: CorpusServer, root: string): Promise<PreparedServer> {
  const dir = join(root, s.name);
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  // The launcher, its flags from the header, the source: one --cmd line.
  const line = (...parts: string[]) => parts.filter(Boolean).join(' ');
  const flags = s.flags.map(q).join(' ');
  const binary = join(dir, 'server');
  let command: (port: number) => string;
  switch (s.runtime) {
    case 'go':
      copyFileSync(s.file, join(dir, 'main.go'));
      writeFileSync(join(dir, 'go.mod'), 'module corpus\n\ngo 1.21\n');
      // cgo needs gcc, which the C servers need too; the Go servers use the standard library only.
      await build('go', ['build', '-o', binary, '.'], dir);
      command = (port) => `${q(binary)} ${port}`;
      break;
    case 'c':
      copyFileSync(s.file, join(dir, 'server.c'));
      await build('gcc', ['-O2', '-pthread', '-o', binary, 'server.c'], dir);
      command = (port) => `${q(binary)} ${port}`;
      break;
    case 'node': {
      const src = join(dir, basename(s.file));
      copyFileSync(s.file, src);
      command = (port) => line(q(process.execPath), flags, q(src), String(port));
      break;
    }
    case 'python': {
      const src = join(dir, basename(s.file));
      copyFileSync(s.file, src);
      command = (port) => line('python3', flags, q(src), String(port));
      break;
    }
    case 'jvm': {
      const src = join(dir, basename(s.file));
      copyFileSync(s.file, src);
      command = (port) => line('java', flags, q(src), String(port));
      break;
    }
  }
  return { command, buildS: (performance.now() - started) / 1000 };
}
