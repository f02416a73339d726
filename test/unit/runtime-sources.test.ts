import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotTellWithoutHeap, CANNOT_TELL_KIND } from '../../src/analyse/cannot-tell.ts';
import type { Verdict } from '../../src/analyse/diagnosis.ts';
import { resolveRoleFigures } from '../../src/analyse/runtime-figures.ts';
import { atRestEnd } from '../../src/run/runtime-sources.ts';
import { extendCommaList, extendOptionList, launchEnvironment, prependPathList } from '../../src/sample/runtime/env.ts';
import { parseGcTraceLine } from '../../src/sample/runtime/gctrace.ts';
import { RUNTIME_PROBES, runtimeProbes } from '../../src/sample/runtime/index.ts';
import { LineTap } from '../../src/target/stderr-tap.ts';

test('gctrace: a Go 1.26 line gives the live heap, the goal and the cycle, in bytes', () => {
  const line =
    'gc 4 @0.004s 6%: 0.029+0.077+0.001 ms clock, 0.058+0/0.030/0.024+0.002 ms cpu, 20->21->17 MB, 35 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)';
  assert.deepEqual(parseGcTraceLine(line), { cycle: 4, liveBytes: 17 * 2 ** 20, goalBytes: 35 * 2 ** 20 });
  assert.equal(parseGcTraceLine('2026/12/04 listening on 127.0.0.1:8080'), undefined);
  // Go before 1.5 printed another format: not read (the run says no gctrace line came).
  assert.equal(parseGcTraceLine('gc1(1): 0+0+0 ms, 0 -> 0 MB 16 -> 18 (19-1) objects'), undefined);
});

test("launch env: a user's GODEBUG, PYTHONPATH and option lists are extended, never replaced", () => {
  assert.equal(extendCommaList('madvdontneed=1', 'gctrace=1'), 'madvdontneed=1,gctrace=1');
  assert.equal(extendCommaList(undefined, 'gctrace=1'), 'gctrace=1');
  // Their own gctrace setting wins (gctrace=2, or 0 to keep it off).
  assert.equal(extendCommaList('gctrace=0', 'gctrace=1'), 'gctrace=0');
  assert.equal(prependPathList('/theirs', '/hook'), '/hook:/theirs');
  assert.equal(
    extendOptionList('--max-old-space-size=512', '--inspect=127.0.0.1:0'),
    '--max-old-space-size=512 --inspect=127.0.0.1:0',
  );
  const env = launchEnvironment({ GODEBUG: 'x=1', PYTHONPATH: '/theirs', HOME: '/h' }, RUNTIME_PROBES);
  assert.equal(env.GODEBUG, 'x=1,gctrace=1');
  assert.match(env.PYTHONPATH!, /src\/sample\/runtime\/python:\/theirs$/);
  assert.ok(env.LEAKBENCH_PYHOOK_DIR);
  // tracemalloc only with --sites on: it multiplies a Python target's CPU per allocation.
  assert.equal(env.LEAKBENCH_PYHOOK_TRACE, undefined);
  assert.equal(launchEnvironment({}, runtimeProbes({ pythonTrace: true })).LEAKBENCH_PYHOOK_TRACE, '1');
  assert.equal(env.HOME, '/h');
});

test('collections at rest: the end of the first idle phase and of each idle phase after load, never a load phase', () => {
  const phases = [{ kind: 'idle' }, { kind: 'burst' }, { kind: 'idle' }, { kind: 'idle' }, { kind: 'steady' }];
  assert.deepEqual(
    phases.map((_, i) => atRestEnd(phases, i)),
    [true, false, true, false, false],
  );
});

test('stderr tap: lines a source consumes go apart, the rest to the target log unchanged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-tap-'));
  const stream = new PassThrough();
  const tap = new LineTap(stream, join(dir, 'target.log'), join(dir, 'runtime.log'));
  tap.subscribe((l) => l.startsWith('gc '));
  stream.end('hello\ngc 1 @0.1s 0%: x, 1->1->0 MB, 4 MB goal\nworld\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(readFileSync(join(dir, 'target.log'), 'utf8'), 'hello\nworld\n');
  assert.match(readFileSync(join(dir, 'runtime.log'), 'utf8'), /^gc 1 @/);
});

test('roles: a /metrics figure wins and is checked against the runtime figure; else the runtime figure fills the role', () => {
  const own = resolveRoleFigures(
    [
      { t: 0, gcTraceLive: 10 * 2 ** 20 },
      { t: 1, gcTraceLive: 20 * 2 ** 20, pprofInuseBytes: 19 * 2 ** 20 },
    ],
    'go',
  );
  assert.deepEqual(
    own.samples.map((s) => [s.liveHeap, s.heapInuse]),
    [
      [10 * 2 ** 20, undefined],
      [20 * 2 ** 20, 19 * 2 ** 20],
    ],
  );
  assert.equal(own.notes.length, 2);
  const both = resolveRoleFigures([{ t: 0, liveHeap: 100 * 2 ** 20, gcTraceLive: 99 * 2 ** 20 }], 'go');
  assert.equal(both.samples[0]!.liveHeap, 100 * 2 ** 20);
  assert.match(both.notes[0]!, /read from \/metrics .* they agree/);
  const apart = resolveRoleFigures([{ t: 0, liveHeap: 100 * 2 ** 20, gcTraceLive: 50 * 2 ** 20 }], 'go');
  assert.match(apart.notes[0]!, /disagree/);
  // The other runtimes' figures are mapped before they are sampled.
  const jvm = resolveRoleFigures([{ t: 0, hsHeapUsed: 5, hsHeapCommitted: 9, hsGcs: 2 }], 'jvm');
  assert.deepEqual([jvm.samples[0]!.jvmHeapUsed, jvm.samples[0]!.jvmHeapCommitted, jvm.samples[0]!.jvmGcs], [5, 9, 2]);
  const node = resolveRoleFigures([{ t: 0, inspHeapUsed: 7 }], 'node');
  assert.equal(node.samples[0]!.v8HeapUsed, 7);
});

test('gctrace on a small live heap: the note says whole MiB hide a leak of under about 1 MiB; a larger heap, nothing', () => {
  // go-slow-leak watched 30 minutes: "0 MB" live at every collection while it kept 16 KiB a minute.
  const small = resolveRoleFigures(
    [
      { t: 0, gcTraceLive: 0 },
      { t: 1800, gcTraceLive: 2 ** 20 },
    ],
    'go',
  );
  assert.equal(small.notes.length, 2);
  assert.match(
    small.notes[1]!,
    /^gctrace counts the live heap in whole MiB, and it stayed under 4\.0 MiB here: a leak of less than about 1 MiB over the run shows in neither it nor RSS/,
  );
  const large = resolveRoleFigures([{ t: 0, gcTraceLive: 20 * 2 ** 20 }], 'go');
  assert.equal(large.notes.length, 1);
});

const plateauVerdict: Verdict = {
  kind: 'plateau',
  summary: 'RSS rose under load and stopped.',
  evidence: ['e'],
  caveats: [],
  suggestions: [],
};

test('cannot tell: an RSS plateau of a collected heap with no heap figure is never "not a leak"', () => {
  const v = cannotTellWithoutHeap(plateauVerdict, 'jvm', false);
  assert.equal(v.kind, CANNOT_TELL_KIND);
  assert.match(v.summary, /^Cannot tell: .*hsperfdata/);
  assert.match(v.caveats[0]!, /not evidence that nothing leaks/);
  // With a heap figure, or for a runtime without a collected heap, the plateau stands.
  assert.equal(cannotTellWithoutHeap(plateauVerdict, 'jvm', true).kind, 'plateau');
  assert.equal(cannotTellWithoutHeap(plateauVerdict, 'other', false).kind, 'plateau');
  assert.equal(cannotTellWithoutHeap({ ...plateauVerdict, kind: 'stable' }, 'go', false).kind, 'stable');
});

test("python hook: starts tracemalloc only when asked (--sites on), and still runs the user's own sitecustomize", async () => {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { PYTHON_HOOK_DIR } = await import('../../src/sample/runtime/python-hook.ts');
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-pyhook-'));
  mkdirSync(join(dir, 'user'));
  mkdirSync(join(dir, 'sock'));
  writeFileSync(join(dir, 'user', 'sitecustomize.py'), 'import builtins\nbuiltins.USER_SITE_RAN = True\n');
  const run = (trace: boolean) =>
    execFileSync(
      'python3',
      [
        '-c',
        'import builtins, tracemalloc, os; print(getattr(builtins, "USER_SITE_RAN", False), tracemalloc.is_tracing(), sorted(os.listdir(os.environ["LEAKBENCH_PYHOOK_DIR"])) != [])',
      ],
      {
        env: {
          ...process.env,
          PYTHONPATH: `${PYTHON_HOOK_DIR}:${join(dir, 'user')}`,
          LEAKBENCH_PYHOOK_DIR: join(dir, 'sock'),
          ...(trace && { LEAKBENCH_PYHOOK_TRACE: '1' }),
        },
      },
    )
      .toString()
      .trim();
  assert.equal(run(true), 'True True True');
  assert.equal(run(false), 'True False True');
});
