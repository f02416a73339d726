/** Ctrl-C and SIGTERM mid-run: the load stops, the target is stopped, the report is still written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILES, type RunFile } from '../../src/rundir/schema.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-int-'));

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} during a burst: exit ${code}, run marked interrupted, report written, target stopped`, async () => {
    const name = `int-${signal}`;
    let signalled = false;
    const r = await runCli(
      [
        'run',
        'burst',
        '--variant',
        'plain',
        '--requests',
        '50000000',
        '--sample-interval',
        '200ms',
        '--out',
        out,
        '--name',
        name,
      ],
      {
        // Once the burst has been announced, and a second into it: a fixed delay from spawn is not
        // enough on a loaded machine, where the build check and start-up alone can take seconds.
        onStderr: (text, pid) => {
          if (!signalled && /^phase burst/m.test(text)) {
            signalled = true;
            setTimeout(() => process.kill(pid, signal), 1000);
          }
        },
      },
    );
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
  const r = await runCli(['run', 'burst', '--out', out], {
    env: { ...process.env, PATH: '/usr/bin:/bin', LEAKBENCH_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lb-cache-')) },
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^leakbench: go: not found on PATH.*--cmd .*--url/);
});

test('SIGKILL of the pack itself: the watchdog still stops the target within seconds', async () => {
  const name = 'int-SIGKILL';
  const dir = join(out, name);
  let cliPid = 0;
  const running = runCli(
    ['run', 'burst', '--variant', 'plain', '--requests', '50000000', '--out', out, '--name', name],
    { onStart: (pid) => (cliPid = pid) },
  );
  let targetPid: number | undefined;
  for (let i = 0; i < 200 && targetPid === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      targetPid = (JSON.parse(readFileSync(join(dir, FILES.run), 'utf8')) as RunFile).target.pid;
    } catch {
      // run.json not there yet
    }
  }
  assert.ok(targetPid && processAlive(targetPid), 'target never started');
  process.kill(cliPid, 'SIGKILL');
  const r = await running;
  assert.equal(r.signal, 'SIGKILL');
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    await new Promise((r) => setTimeout(r, 100));
    alive = processAlive(targetPid);
  }
  assert.ok(!alive, 'target outlived a SIGKILLed pack by more than 5 s');
});
