import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.ts';
import { parseRunArgs, type RunOptions } from '../../src/options/run-options.ts';

/** The options `leakbench run <args>` would use; fails the test if they are refused. */
export function opts(...args: string[]): RunOptions {
  const r = parseRunArgs(args);
  assert.equal(r.help, false);
  return (r as { options: RunOptions }).options;
}

/** Every rejection is a UsageError (exit 2) whose one-line message matches. */
export function rejects(args: string[], message: RegExp): void {
  assert.throws(
    () => parseRunArgs(args),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
      assert.equal(e.exitCode, 2);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, message);
      return true;
    },
  );
}
