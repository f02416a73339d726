/**
 * Faults, and nothing lost: a target that dies, stalls or serves garbage metrics, a run
 * directory that fills up, a damaged run directory. No process the pack started outlives it.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type RunEvent, type RunFile, type Sample } from '../../src/rundir/schema.ts';
import { freePort } from '../../src/target/free-port.ts';
import { ensureFixtureBinary } from '../helpers/go-fixture.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-faults-'));
let fixture = '';
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;
const events = (dir: string) => readNdjson<RunEvent>(join(dir, FILES.events), SCHEMA.events).records;

before(async () => {
  fixture = await ensureFixtureBinary();
});

async function cmd(extra = '') {
  const port = await freePort();
  return { port, args: ['--cmd', `${fixture} -addr 127.0.0.1:${port} ${extra}`, '--url', `http://127.0.0.1:${port}`] };
}

/** Polls run.json until `ready` says so: the run is under way. */
async function waitFor(dir: string, ready: (r: RunFile) => boolean, timeoutMs = 20_000): Promise<RunFile> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const run = readJson<RunFile>(join(dir, FILES.run));
      if (ready(run)) return run;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`run in ${dir} never got ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the target is SIGKILLed mid-burst: event with the signal, run ends, report shows it, exit 1', async () => {
  const { args } = await cmd();
  const dir = join(out, 'killed');
  const running = runCli([
    'run',
    'burst',
    ...args,
    '--requests',
    '20000000',
    '--sample-interval',
    '200ms',
    '--out',
    out,
    '--name',
    'killed',
  ]);
  const run0 = await waitFor(dir, (r) => r.target.pid !== undefined && r.phases[0]?.startT !== undefined);
  await new Promise((r) => setTimeout(r, 800));
  process.kill(run0.target.pid!, 'SIGKILL');
  const r = await running;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /killed by SIGKILL/);
  // --cmd runs under sh, which reports its killed child as exit code 128+9.
  const run = readJson<RunFile>(join(dir, FILES.run));
  assert.equal(run.status, 'failed');
  const exit = events(dir).find((e) => e.type === 'target-exit');
  assert.ok(exit?.signal === 'SIGKILL' || exit?.code === 137, JSON.stringify(exit));
  assert.equal(exit?.oomKill, false);
  assert.ok(existsSync(join(dir, FILES.memoryPng)) && existsSync(join(dir, FILES.summary)));
  const summary = readJson<SummaryFile>(join(dir, FILES.summary));
  assert.ok(summary.load[0]!.completed > 0, 'what was measured before the death is kept');
  assert.ok(!processAlive(run0.target.pid!));
});

test('the target stalls (accepts, never answers): timeouts are counted and the run ends on time', async () => {
  const { args } = await cmd('-stall-after 3');
  const started = Date.now();
  const r = await runCli([
    'run',
    'idle',
    ...args,
    '--duration',
    '3s',
    '--rate',
    '5',
    '--probe-timeout',
    '300ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'stall-idle',
  ]);
  const took = Date.now() - started;
  assert.equal(r.code, 0, r.stderr);
  const s = readJson<SummaryFile>(join(out, 'stall-idle', FILES.summary)).load[0]!;
  assert.equal(s.sent, 15);
  assert.equal(s.completed + s.errors, 15);
  assert.ok(s.timeouts >= 12, `timeouts ${s.timeouts}`);
  assert.equal(s.timeouts, s.errors);
  assert.ok(took < 15_000, `took ${took} ms`);

  const b = await cmd('-stall-after 5');
  const rb = await runCli([
    'run',
    'burst',
    ...b.args,
    '--requests',
    '24',
    '--connections',
    '4',
    '--request-timeout',
    '1s',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'stall-burst',
  ]);
  assert.equal(rb.code, 0, rb.stderr);
  const sb = readJson<SummaryFile>(join(out, 'stall-burst', FILES.summary)).load[0]!;
  assert.equal(sb.completed + sb.errors, 24, JSON.stringify(sb));
  assert.ok(sb.timeouts >= 18, `timeouts ${sb.timeouts}`);
});

test('/metrics turns to garbage mid-run: one warning, /proc sampling goes on, no zeros', async () => {
  const { args } = await cmd('-metrics-garbage-after 4');
  const r = await runCli([
    'run',
    'idle',
    ...args,
    '--duration',
    '2s',
    '--rate',
    '2',
    '--sample-interval',
    '200ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'garbage',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'garbage');
  const warnings = events(dir).filter((e) => e.type === 'warning' && /metrics/.test(e.message ?? ''));
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  const { records } = readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples);
  const late = records.slice(-3);
  for (const s of late) {
    assert.ok(s.vmRss! > 0);
    assert.equal(s.heapInuse, undefined);
  }
  assert.ok(
    records.some((s) => s.heapInuse !== undefined),
    'metrics were sampled before they broke',
  );
});

test('the run directory fills up: a clear error, the target is stopped, what was written stays readable', async (t) => {
  const mnt = join(out, 'tiny');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  } catch (err) {
    t.skip(`cannot mount a small tmpfs here (${(err as Error).message.split('\n')[0]}); needs root`);
    return;
  }
  try {
    // The disk fills once the run is under way, so samples were written before it did. (Leaving a
    // few KiB free from the start raced the start's smaps snapshot against the first sample
    // for the last bytes; a run whose snapshot won had no sample to keep.)
    const { args } = await cmd();
    const dir = join(mnt, 'full');
    const running = runCli(
      ['run', 'burst', ...args, '--requests', '5000000', '--sample-interval', '100ms', '--out', mnt, '--name', 'full'],
      { timeoutMs: 60_000 },
    );
    const samplesFile = join(dir, FILES.samples);
    const deadline = Date.now() + 30_000;
    while (!(existsSync(samplesFile) && readFileSync(samplesFile, 'utf8').split('\n').length > 3)) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const avail = Number(
      execFileSync('df', ['-B1', '--output=avail', mnt], { encoding: 'utf8' }).trim().split('\n')[1],
    );
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(avail));
    } catch {
      // tmpfs rounds to pages: whatever did not fit, the disk is full either way.
    }
    const r = await running;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ENOSPC|no space left/i);
    const { records } = readNdjson<Sample>(samplesFile, SCHEMA.samples);
    assert.ok(records.length > 0, 'samples written before the disk filled are readable');
    const run = readJson<RunFile>(join(dir, FILES.run));
    assert.ok(run.target.pid === undefined || !processAlive(run.target.pid), 'target outlived the failed run');
  } finally {
    execFileSync('umount', ['-l', mnt]);
  }
});

test('npm run report on a damaged run directory reports what it can and names what it could not read', async () => {
  const { args } = await cmd();
  const ok = await runCli([
    'run',
    'burst',
    ...args,
    '--requests',
    '3000',
    '--connections',
    '10',
    '--sample-interval',
    '200ms',
    '--settle',
    '1s',
    '--out',
    out,
    '--name',
    'tobreak',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  const dir = join(out, 'damaged');
  cpSync(join(out, 'tobreak'), dir, { recursive: true });
  // A run killed mid-write: the last samples line is cut short.
  const samplesFile = join(dir, FILES.samples);
  truncateSync(samplesFile, statSync(samplesFile).size - 7);
  rmSync(join(dir, FILES.load));
  const r = await runCli(['report', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /samples\.ndjson:\d+: last line is cut short/);
  assert.match(r.stderr, /load\.ndjson/);
  assert.ok(existsSync(join(dir, FILES.memoryPng)));

  const events = join(dir, FILES.events);
  writeFileSync(events, readFileSync(events, 'utf8').replace(SCHEMA.events, 'leakbench.events/9'));
  const bad = await runCli(['report', dir]);
  assert.match(bad.stderr, /events\.ndjson: schema leakbench\.events\/9 is not supported/);

  rmSync(join(dir, FILES.run));
  const none = await runCli(['report', dir]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /run\.json: file is missing/);
});
