/** Ctrl-C and SIGTERM mid-run: the load stops, the target is stopped, the report is still written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILES, type RunFile, type SummaryFile } from '../../src/rundir/schema.ts';
import { processAlive, runCli } from '../helpers/cli.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-int-'));

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during a burst: exit ${code}, run marked interrupted, report written, target stopped`, async () => {
    const name = `int-${signal}`;
    const r = await runCli(['run', 'burst', '--variant', 'plain', '--requests', '50000000', '--sample-interval', '200ms', '--out', out, '--name', name], {
      onStart: (pid) => {
        // Long enough for the target to be up and the burst to be under way.
        setTimeout(() => process.kill(pid, signal), 2500);
      },
    });
    assert.equal(r.code, code, r.stderr);
    const dir = join(out, name);
    const run = JSON.parse(readFileSync(join(dir, FILES.run), 'utf8')) as RunFile;
    assert.equal(run.status, 'interrupted');
    assert.match(run.endReason ?? '', new RegExp(signal));
    const summary = JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')) as SummaryFile;
    const load = summary.load[0]!;
    assert.ok(load.completed > 0 && load.completed < 50_000_000, `completed ${load.completed}`);
    assert.ok(existsSync(join(dir, FILES.memoryPng)));
    assert.ok(run.target.pid && !processAlive(run.target.pid), 'target outlived the interrupted run');
  });
}

test('go missing: the error says so and names --cmd / --url', async () => {
  const r = await runCli(['run', 'burst', '--out', out], { env: { ...process.env, PATH: '/usr/bin:/bin', LEAKBENCH_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lb-cache-')) } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^leakbench: go: not found on PATH.*--cmd .*--url/);
});
