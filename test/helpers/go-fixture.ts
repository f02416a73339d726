import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, goVersion, REPO_ROOT, sourceHash } from '../../src/target/bundled-build.ts';

const run = promisify(execFile);
export const FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'go-servers');

/** Builds test/fixtures/go-servers once per source/toolchain change (like the bundled target). */
export async function ensureFixtureBinary(): Promise<string> {
  const hash = sourceHash(await goVersion(), 'plain', FIXTURE_DIR);
  const dir = join(cacheRoot(), `fixture-go-servers-${hash}`);
  const path = join(dir, 'go-servers');
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await run('go', ['build', '-o', tmp, '.'], { cwd: FIXTURE_DIR });
  renameSync(tmp, path);
  return path;
}

export type FixtureMode = 'heap-leak' | 'goroutine-leak' | 'bursty' | 'hog' | 'flat' | 'cache' | 'conn-leak' | 'cgo-leak';
