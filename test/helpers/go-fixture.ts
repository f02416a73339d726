import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, goVersion, REPO_ROOT, sourceHash } from '../../src/target/bundled-build.ts';

const run = promisify(execFile);
export const FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'go-servers');

/**
 * Builds a Go program of the tests (fixtures, the k6 harness) once per source or toolchain
 * change, like the bundled target: into the build cache under `<cacheName>-<hash>/<binary>`.
 */
export async function ensureGoBinary(moduleDir: string, cacheName: string, binary: string): Promise<string> {
  const hash = sourceHash(await goVersion(), 'plain', moduleDir);
  const dir = join(cacheRoot(), `${cacheName}-${hash}`);
  const path = join(dir, binary);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await run('go', ['build', '-o', tmp, '.'], { cwd: moduleDir });
  renameSync(tmp, path);
  return path;
}

/** Builds test/fixtures/gin-plain: a Gin server with no metrics library. */
export function ensureGinPlainBinary(): Promise<string> {
  return ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'gin-plain'), 'fixture-gin-plain', 'gin-plain');
}

/** Builds test/fixtures/go-servers. */
export function ensureFixtureBinary(): Promise<string> {
  return ensureGoBinary(FIXTURE_DIR, 'fixture-go-servers', 'go-servers');
}

export type FixtureMode =
  'heap-leak' | 'goroutine-leak' | 'bursty' | 'hog' | 'flat' | 'cache' | 'conn-leak' | 'cgo-leak';
