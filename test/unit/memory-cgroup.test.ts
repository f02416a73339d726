import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inCgroup } from '../../src/target/memory-cgroup.ts';
import { sizeBytes } from '../../src/options/values.ts';

test('sizes are read as pod limits are written', () => {
  assert.equal(sizeBytes('memory-limit', '256Mi'), 256 * 2 ** 20);
  assert.equal(sizeBytes('memory-limit', '1Gi'), 2 ** 30);
  assert.equal(sizeBytes('memory-limit', '500M'), 500e6);
  assert.equal(sizeBytes('memory-limit', '1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(sizeBytes('memory-limit', '1048576'), 2 ** 20);
  assert.throws(() => sizeBytes('memory-limit', '256 megs'), /^UsageError: --memory-limit: expected a size like 256Mi/);
  assert.throws(() => sizeBytes('memory-limit', '-1Mi'), /expected a size/);
  assert.throws(() => sizeBytes('memory-limit', '1Ki', { min: 4 * 2 ** 20 }), /must be at least/);
});

test('the wrapper writes its own pid to the cgroup, then execs the target unchanged', () => {
  assert.deepEqual(inCgroup('/cg/cgroup.procs', { file: '/bin/server', args: ['-addr', ':1'] }), {
    file: '/bin/sh',
    args: ['-c', 'echo $$ > "$0" && exec "$@"', '/cg/cgroup.procs', '/bin/server', '-addr', ':1'],
  });
  assert.deepEqual(inCgroup('/cg/cgroup.procs', { shell: 'cd / && ./srv' }).args.slice(2), [
    '/cg/cgroup.procs',
    'cd / && ./srv',
  ]);
});
