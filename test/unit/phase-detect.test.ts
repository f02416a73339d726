import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectPhases, spansFromMarks } from '../../src/analyse/phase-detect.ts';
import { parsePhasesOption } from '../../src/options/phases-option.ts';
import { UsageError } from '../../src/errors.ts';
import type { Sample } from '../../src/rundir/schema.ts';

/** Samples every second with a CPU rate per second given by `cores(t)`; connections by `conns(t)`. */
function run(seconds: number, cores: (t: number) => number, conns: (t: number) => number = () => 0): Sample[] {
  const out: Sample[] = [];
  let cpu = 1;
  for (let t = 0; t <= seconds; t++) {
    if (t > 0) cpu += cores(t);
    out.push({ t, vmRss: 20e6, cpuSeconds: cpu, connEstablished: conns(t), ...(t > 0 && { connOpened: 0 }) });
  }
  return out;
}

const loadFrom10To30 = (t: number) => (t > 10 && t <= 30 ? (t === 20 ? 0.3 : 1.4) : t % 7 === 0 ? 0.01 : 0.002);

test('CPU alone: one load window bracketing the busy seconds, a dip inside it kept, rests around', () => {
  const d = detectPhases({ samples: run(50, loadFrom10To30) });
  assert.equal(d.finding?.how, 'activity');
  assert.deepEqual(
    d.phases.map((p) => [p.name, p.kind, p.startT, p.endT]),
    [
      ['rest-1', 'idle', 0, 10],
      ['load-1', 'burst', 10, 30],
      ['rest-2', 'idle', 30, 50],
    ],
  );
  assert.match(d.finding!.detail, /CPU 0\.00 cores at rest, 1\.40 cores under load/);
});

test('connections agreeing with CPU make it sure; a one-second spike at rest is no load', () => {
  const spike = (t: number) => (t === 40 ? 2 : loadFrom10To30(t));
  const d = detectPhases({ samples: run(50, spike, (t) => (t > 10 && t <= 30 ? 50 : 1)) });
  assert.equal(d.phases.filter((p) => p.kind === 'burst').length, 1);
  assert.equal(d.finding?.confidence, 'high');
});

test('no contrast: phases unknown, and the reason says why', () => {
  const d = detectPhases({ samples: run(30, () => 0.5) });
  assert.deepEqual(d.phases, []);
  assert.match(d.unknown!, /no window of load stands out/);
  assert.match(detectPhases({ samples: [{ t: 0 }, { t: 1 }, { t: 2 }] }).unknown!, /no activity figure/);
});

test('a request counter wins over CPU, and each load phase carries its requests', () => {
  const samples = run(40, () => 0.5).map((s) => ({
    ...s,
    requestsServed: s.t <= 10 ? s.t : s.t <= 25 ? 10 + (s.t - 10) * 1000 : 15_010 + (s.t - 25),
  }));
  const d = detectPhases({ samples });
  assert.equal(d.finding?.how, 'requests');
  const load = d.phases.find((p) => p.kind === 'burst')!;
  assert.deepEqual([load.startT, load.endT, load.params.requests], [10, 25, 15_000]);
});

test('marks, then a load tool, then the user: each wins over what comes after it', () => {
  const samples = run(50, loadFrom10To30);
  const marks = detectPhases({
    samples,
    marks: [
      { t: 12, name: 'burst-start' },
      { t: 28, name: 'burst-end' },
    ],
    loadTool: { tool: 'hey', spans: [{ startT: 5, endT: 45 }], detail: 'hey' },
  });
  assert.equal(marks.finding?.how, 'marks');
  assert.deepEqual(
    marks.phases.map((p) => [p.startT, p.endT]),
    [
      [0, 12],
      [12, 28],
      [28, 50],
    ],
  );
  const user = detectPhases({ samples, override: parsePhasesOption('rest:0-5s,load:5-45,rest:45s-') });
  assert.equal(user.finding?.how, 'override');
  assert.deepEqual(
    user.phases.map((p) => [p.name, p.startT, p.endT]),
    [
      ['rest-1', 0, 5],
      ['load-1', 5, 45],
      ['rest-2', 45, 50],
    ],
  );
});

test('spansFromMarks: an unclosed start runs to the end; rest closes a load', () => {
  assert.deepEqual(
    spansFromMarks(
      [
        { t: 5, name: 'burst-start' },
        { t: 9, name: 'rest' },
        { t: 20, name: 'burst-start' },
      ],
      0,
      30,
    ),
    [
      { startT: 5, endT: 9 },
      { startT: 20, endT: 30 },
    ],
  );
});

test('--phases: clear errors naming the flag', () => {
  for (const bad of [
    'rest:0-10s,load:5-20s',
    'nap:0-10s',
    'rest:0-,load:10-',
    'load:10-5',
    'rest:x-10s',
    'rest:0-10s,,load:10-',
  ]) {
    assert.throws(
      () => parsePhasesOption(bad),
      (e: unknown) => e instanceof UsageError && /^--phases: /.test(e.message),
      bad,
    );
  }
  assert.deepEqual(parsePhasesOption('rest:0-1m,load:1m-1m30s'), [
    { kind: 'idle', startT: 0, endT: 60 },
    { kind: 'burst', startT: 60, endT: 90 },
  ]);
});
