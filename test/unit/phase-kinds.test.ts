/**
 * The registry of phase kinds (src/phases): every kind is declared once, every declared kind has
 * a runner, and the places that used to spell out "idle, burst or steady" read the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisWindows } from '../../src/analyse/windows.ts';
import { defineScenario, type PhaseSpec } from '../../src/load/phases.ts';
import { findPhaseKind, phaseKindNames } from '../../src/phases/kinds.ts';
import { phaseRunnerOf } from '../../src/phases/runners.ts';
import { watchedPhase } from '../../src/phases/watched.ts';
import { readRunDir as readRun } from '../../src/rundir/read-run.ts';
import { buildPhases } from '../../src/run/load-scenario.ts';
import { baseRunFile, writeSyntheticRun } from '../helpers/synthetic-run.ts';

const params = {
  path: '/',
  rate: 1,
  durationMs: 10_000,
  probeTimeoutMs: 1000,
  requests: 100,
  connections: 10,
  requestTimeoutMs: 1000,
  idleBeforeMs: 1000,
  idleAfterMs: 1000,
};

test('every registered kind is complete: a description, an analysis window and a Node runner', () => {
  assert.deepEqual(phaseKindNames(), ['idle', 'burst', 'steady', 'watched']);
  for (const name of phaseKindNames()) {
    const kind = findPhaseKind(name)!;
    assert.ok(kind.description.length > 20, name);
    assert.ok(kind.window === 'idle' || kind.window === 'burst', name);
    assert.equal(typeof phaseRunnerOf({ kind: name } as PhaseSpec), 'function', name);
  }
  // The kinds k6 can run say how; a watched phase has nothing to send.
  assert.deepEqual(
    phaseKindNames().filter((k) => findPhaseKind(k)!.k6 !== undefined),
    ['idle', 'burst', 'steady'],
  );
});

test('a scenario composes any registered kind; an unknown kind is refused with the list of kinds', () => {
  const watching = defineScenario({ name: 'w', description: '', phases: () => [watchedPhase('watched', 5000)] });
  assert.deepEqual(buildPhases(watching, params), [{ name: 'watched', kind: 'watched', durationMs: 5000 }]);
  const bad = defineScenario({
    name: 'b',
    description: '',
    phases: () => [{ name: 'x', kind: 'ramp' } as unknown as PhaseSpec],
  });
  assert.throws(() => buildPhases(bad, params), /phase 1: kind must be "idle", "burst", "steady" or "watched"/);
  const zero = defineScenario({ name: 'z', description: '', phases: () => [watchedPhase('w', 0)] });
  assert.throws(() => buildPhases(zero, params), /\(w\): watched needs durationMs greater than 0, or none/);
});

test('the analysis reads a phase the way its kind says: burst against requests, the rest against time', () => {
  const phases = [
    { name: 'w', kind: 'watched', params: {}, startT: 0, endT: 10 },
    { name: 'b', kind: 'burst', params: {}, startT: 10, endT: 20 },
    { name: 's', kind: 'steady', params: {}, startT: 20, endT: 30 },
  ];
  const dir = writeSyntheticRun({
    run: baseRunFile({ phases }),
    samples: [{ t: 0 }, { t: 30 }],
    load: [],
    probes: [],
    events: [],
  });
  const data = readRun(dir);
  assert.deepEqual(
    analysisWindows(data).map((w) => [w.name, w.kind]),
    [
      ['w', 'idle'],
      ['b', 'burst'],
      ['s', 'idle'],
    ],
  );
  const unknown = writeSyntheticRun({
    run: baseRunFile({ phases: [{ name: 'x', kind: 'ramp', params: {} }] }),
    samples: [],
    load: null,
    probes: null,
    events: null,
  });
  assert.throws(
    () => readRun(unknown),
    /field "phases\[0\]\.kind" is missing or not "idle", "burst", "steady" or "watched"/,
  );
});
