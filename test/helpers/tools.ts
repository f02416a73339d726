import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

/** The first executable `name` on PATH or in `extraDirs`, or undefined. */
export function findTool(name: string, extraDirs: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * A test that needs an outside program: on a developer's machine without it the test is
 * skipped with a message saying how to get it; under CI (.ci/run installs it) a missing tool
 * fails the test, so a broken install step cannot pass as a skip.
 */
export function requireTool(t: TestContext, name: string, how: string, extraDirs: string[] = []): string | undefined {
  const path = findTool(name, extraDirs);
  if (path !== undefined) return path;
  const message = `${name} is not installed (${how}; .ci/run installs it)`;
  if (process.env.CI) assert.fail(message);
  t.skip(message);
  return undefined;
}
