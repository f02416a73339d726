/**
 * `npm run sample`: the sampler on its own, through the real CLI, against a real process.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import type { LiveRun } from '../../src/live/protocol.ts';
import { onSseMessages } from '../helpers/sse.ts';
import { readNdjson } from '../../src/rundir/ndjson.ts';
import { FILES, SCHEMA, type RunFile, type Sample } from '../../src/rundir/schema.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/synthetic-run.ts';

const out = tempDir('leakbench-sample-');
// Something with memory to sample that is not leakbench itself.
const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
after(() => {
  sleeper.kill('SIGKILL');
});
const readRun = (dir: string) => JSON.parse(readFileSync(join(dir, FILES.run), 'utf8')) as RunFile;

test('--pid --duration: samples on disk, run.json, the report', async () => {
  const r = await runCli(
    [
      'sample',
      '--pid',
      String(sleeper.pid),
      '--duration',
      '2s',
      '--sample-interval',
      '200ms',
      '--out',
      out,
      '--name',
      'timed',
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'timed');
  const run = readRun(dir);
  assert.equal(run.scenario, 'sample');
  assert.equal(run.status, 'completed');
  assert.equal(run.target.pid, sleeper.pid);
  const { header, records } = readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples);
  assert.equal(header.startedAtMs, run.startedAtMs, 'the wall-clock anchor a k6 import aligns by');
  assert.ok(records.length >= 8, `${records.length} samples`);
  assert.ok(records.every((s) => s.vmRss! > 0));
  for (const f of [FILES.summary, FILES.summaryMd, FILES.html, FILES.memoryPng]) assert.ok(existsSync(join(dir, f)), f);
  assert.match(r.stdout, /npm run report -- --k6 <k6 output> --samples /);
});

test('--until-signal: Ctrl-C is the normal end; --cgroup reads the file it names', async () => {
  const cg = join(out, 'fake-cgroup');
  mkdirSync(cg);
  writeFileSync(join(cg, 'memory.current'), '123456789\n');
  let signalled = false;
  const r = await runCli(
    ['sample', '--cgroup', cg, '--until-signal', '--sample-interval', '200ms', '--out', out, '--name', 'signal'],
    {
      timeoutMs: 30_000,
      // Signalled only once it says it samples: on a loaded machine tsx's start-up alone can take
      // seconds, and a SIGINT before the entry point's handler exists would just kill it.
      onStderr: (text, pid) => {
        if (!signalled && text.includes('sampling ')) {
          signalled = true;
          setTimeout(() => process.kill(pid, 'SIGINT'), 1500);
        }
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'signal');
  const run = readRun(dir);
  assert.equal(run.status, 'completed');
  assert.equal(run.endReason, 'stopped by SIGINT');
  const { records } = readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples);
  assert.ok(records.length >= 3, `${records.length} samples`);
  assert.ok(records.every((s) => s.cgroupMemory === 123456789 && s.vmRss === undefined));
});

test('bad flags: one line naming the flag, exit code 2, nothing written', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['--duration', '5s'],
      /^leakbench: sample: give at least one source: --pid, --metrics-url, --cgroup or --prometheus-url/,
    ],
    [['--pid', String(sleeper.pid)], /^leakbench: sample: give --duration \(e\.g\. 10m\) or --until-signal/],
    [
      ['--pid', String(sleeper.pid), '--duration', '5s', '--until-signal'],
      /^leakbench: --duration: not with --until-signal/,
    ],
    [['--cgroup', '/nonexistent/cgroup', '--duration', '5s'], /^leakbench: --cgroup: no such file or cgroup/],
    [['--pid', '99999999', '--duration', '5s'], /^leakbench: --pid: /],
    [['--pid', String(sleeper.pid), '--duration', '5'], /^leakbench: --duration: expected a duration with a unit/],
    [['--pid', String(sleeper.pid), '--duration', '5s', '--bogus'], /^leakbench: --bogus: unknown flag for sample/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(['sample', ...args, '--out', out, '--name', 'never'], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.ok(!existsSync(join(out, 'never')));
});

test('report --k6 with input it cannot use: one line naming --k6, exit code 2', async () => {
  const r = await runCli(['report', '--k6', join(out, 'missing.json')], { timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^leakbench: --k6: .*missing\.json: no such file or directory\n$/);
});

test('--progress on: elapsed, samples, RSS and the phase found so far; the live view draws the phases as marks come', async () => {
  const dir = join(out, 'marked');
  const runs: LiveRun[] = [];
  let marked: Promise<unknown> | undefined;
  let watching: Promise<void> | undefined;
  const r = await runCli(
    [
      'sample',
      '--pid',
      String(sleeper.pid),
      '--duration',
      '9s',
      '--sample-interval',
      '200ms',
      '--progress',
      'on',
      '--live',
      '0',
      '--out',
      out,
      '--name',
      'marked',
    ],
    {
      timeoutMs: 60_000,
      onStderr: (text) => {
        const url = /live view: (http:\/\/\S+)/.exec(text)?.[1];
        if (url && !watching) watching = watchRuns(new URL('/events', url).href, runs);
        // From another shell, as a user would: the load starts a second into the watch.
        if (!marked && text.includes('phase watched'))
          marked = new Promise((done) => setTimeout(done, 1000)).then(() =>
            runCli(['mark', 'burst-start', '--run-dir', dir]),
          );
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  await marked;
  await watching;
  // Before the mark: nothing found; after it, the burst from the marks, on the progress line.
  assert.match(r.stderr, /watched .*\d+\/9 s \| \d+ samples \| RSS [\d.]+ MiB .*\| phase: none found yet/);
  assert.match(r.stderr, /\| phase: \S+ \(under load\) since t=\d+ s, from marks \(high\)/);
  const found = runs.map((x) => x.found).filter((f) => f !== undefined);
  assert.ok(
    found.some((f) => f.some((p) => p.kind === 'burst')),
    `the live view was sent the phases found: ${JSON.stringify(runs)}`,
  );
  assert.ok(readRun(dir).phases.some((p) => p.kind === 'burst'));
});

/** The `run` messages of a live view, until it ends. */
function watchRuns(url: string, runs: LiveRun[]): Promise<void> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      onSseMessages(res, (m) => {
        if (m.event === 'run') runs.push(m.data as LiveRun);
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    }).on('error', () => resolve());
  });
}

test('a watched --pid run of a real server: one watched phase, smaps snapshots at start and end, its identity', async () => {
  // The bundled -race build, started by hand as a user would, and loaded by someone else (here, the test).
  const bin = (await ensureBundledBinary('race', () => {})).path;
  const port = await freePort();
  const server = spawn(bin, ['-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    let load: Promise<number> | undefined;
    const r = await runCli(
      [
        'sample',
        '--pid',
        String(server.pid),
        '--duration',
        '4s',
        '--sample-interval',
        '200ms',
        '--out',
        out,
        '--name',
        'watched',
      ],
      {
        timeoutMs: 60_000,
        onStderr: (text) => {
          // Outside load while it watches: 300 requests, 10 at a time, to loopback only.
          if (!load && text.includes('phase watched'))
            load = sendRequests(`http://127.0.0.1:${port}/health_check`, 300, 10);
        },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await load, 300, 'every outside request answered');
    const dir = join(out, 'watched');
    const run = readRun(dir);
    // Load from the first second to the last: the watch itself as one phase, or the phases found
    // in the target's activity (the load, and the last instants of rest), covering the watch.
    const found = (p: (typeof run.phases)[number]) =>
      typeof p.params === 'object' && p.params !== null && 'found' in p.params;
    assert.ok(
      run.phases.every((p) => (p.kind === 'watched' && run.phases.length === 1) || found(p)),
      JSON.stringify(run.phases),
    );
    assert.ok(
      run.phases.some((p) => p.kind !== 'idle'),
      JSON.stringify(run.phases),
    );
    assert.ok(run.phases.every((p) => p.result === undefined));
    const first = run.phases[0]!;
    const last = run.phases.at(-1)!;
    assert.ok(first.startT! >= 0 && last.endT! - first.startT! >= 3.9, JSON.stringify(run.phases));
    assert.deepEqual(
      run.smapsSnapshots?.map((s) => s.label),
      ['start', 'end'],
    );
    for (const s of run.smapsSnapshots ?? []) assert.match(readFileSync(join(dir, s.file), 'utf8'), /^Rss:/m);
    const id = run.target.identity!;
    assert.equal(id.pid, server.pid);
    assert.equal(id.goBuild?.settings.find((s) => s.key === '-race')?.value, 'true');
    assert.match(readFileSync(join(dir, FILES.summaryMd), 'utf8'), /build -race=true/);
    assert.ok(processAlive(server.pid!), 'a watched process is left running');
  } finally {
    server.kill('SIGKILL');
  }
});

test('--cgroup alone: its processes identified, the one with most memory watched as with --pid', async (t) => {
  const cgroup = makeMemoryCgroup();
  if (typeof cgroup !== 'string') {
    t.skip(`cannot make a memory cgroup here: ${cgroup.reason}`);
    return;
  }
  const bin = (await ensureBundledBinary('race', () => {})).path;
  const port = await freePort();
  const server = spawn(bin, ['-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const small = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    // Both moved in as a container runtime would, the server into a child (a pod's container).
    const child = join(cgroup, 'app');
    mkdirSync(child);
    writeFileSync(join(child, 'cgroup.procs'), String(server.pid));
    writeFileSync(join(cgroup, 'cgroup.procs'), String(small.pid));
    await new Promise((r) => setTimeout(r, 500));
    await sendRequests(`http://127.0.0.1:${port}/health_check`, 50, 5);
    const r = await runCli(
      [
        'sample',
        '--cgroup',
        cgroup,
        '--duration',
        '2s',
        '--sample-interval',
        '200ms',
        '--out',
        out,
        '--name',
        'cgroup',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `its processes: pid ${server.pid} health-check \\(go1\\.\\d+\\.\\d+ -race\\) [\\d.]+ MiB in app, watched; pid ${small.pid} sleep`,
      ),
    );
    const run = readRun(join(out, 'cgroup'));
    const procs = run.target.cgroupProcesses!;
    assert.deepEqual(
      procs.map((p) => [p.pid, p.runtime, p.race === true, p.watched === true, p.cgroup]),
      [
        [server.pid, 'go', true, true, 'app'],
        [small.pid, 'other', false, false, undefined],
      ],
    );
    // Watched as with --pid: its identity, /proc figures and the /metrics found on its port.
    assert.equal(run.target.pid, server.pid);
    assert.equal(run.target.identity?.goBuild?.settings.find((s) => s.key === '-race')?.value, 'true');
    const { records } = readNdjson<Sample>(join(out, 'cgroup', FILES.samples), SCHEMA.samples);
    assert.ok(records.some((s) => s.vmRss! > 0 && s.cgroupMemory! > 0 && s.goroutines !== undefined));
    assert.match(
      readFileSync(join(out, 'cgroup', FILES.summaryMd), 'utf8'),
      /\| cgroup processes \| pid \d+ health-check/,
    );
  } finally {
    server.kill('SIGKILL');
    small.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    removeCgroup(cgroup);
  }
});

/** A memory cgroup of its own under the v1 memory hierarchy or cgroup v2 (root only), or why not. */
function makeMemoryCgroup(): string | { reason: string } {
  const name = `leakbench-test-${process.pid}`;
  for (const base of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
    if (!existsSync(join(base, 'cgroup.procs'))) continue;
    const dir = join(base, name);
    try {
      mkdirSync(dir);
    } catch (err) {
      return { reason: `mkdir ${dir}: ${(err as Error).message}` };
    }
    if (existsSync(join(dir, 'memory.usage_in_bytes')) || existsSync(join(dir, 'memory.current'))) return dir;
    removeCgroup(dir);
  }
  return { reason: 'no writable memory cgroup hierarchy' };
}

function removeCgroup(dir: string): void {
  for (const d of [join(dir, 'app'), dir]) {
    try {
      rmdirSync(d);
    } catch {
      // Already gone, or never made.
    }
  }
}

async function sendRequests(url: string, count: number, parallel: number): Promise<number> {
  let ok = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.ok) ok++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return ok;
}
