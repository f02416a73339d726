/**
 * The k6 harness's own semantics, on a script written for it (test/k6-harness/testdata): the
 * rules the pack's bundles rely on without exercising each of them (init vs VU context, a
 * module instance per VU, setup data as JSON, arrival-rate drops, gracefulStop, thresholds on
 * submetrics). No target is needed: nothing here reaches the network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HARNESS_DIR, harnessOrSkip, runHarness } from '../helpers/k6-harness.ts';

interface Logged {
  kind: 'init' | 'iteration';
  vu: number;
  initVU?: number;
  iter?: number;
  callsHere?: number;
  opened?: boolean;
  data?: unknown;
  scenario?: string;
  initErrors?: Record<string, string>;
  vuErrors?: Record<string, string>;
}

/** The script's console lines: the harness logs them as k6 does, msg="<quoted>" source=console. */
function logged(stderr: string): Logged[] {
  return [...stderr.matchAll(/level=info msg=("(?:[^"\\]|\\.)*") source=console/g)].map(
    (m) => JSON.parse(JSON.parse(m[1]!) as string) as Logged,
  );
}

test('harness semantics: contexts, one module instance per VU, setup data, executors, thresholds, handleSummary', async (t) => {
  const bin = await harnessOrSkip(t);
  if (!bin) return;
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-k6-harness-'));
  copyFileSync(join(HARNESS_DIR, 'testdata', 'lifecycle.js'), join(dir, 'lifecycle.js'));
  const started = Date.now();
  const r = await runHarness(bin, ['run', 'lifecycle.js'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - started < 10_000, 'the stuck iteration was interrupted after maxDuration and gracefulStop');
  const lines = logged(r.stderr);

  // Init ran once for the options (__VU 0) and once per VU, each VU with its own number.
  const inits = lines.filter((l) => l.kind === 'init');
  assert.deepEqual(
    inits.map((l) => l.vu).sort(),
    [0, 1, 2, 3, 4],
    'the options VU and 2 + 1 + 1 VUs for the three overlapping scenarios',
  );
  for (const l of inits) {
    assert.equal(l.opened, true, 'open() works at init');
    assert.deepEqual(l.initErrors, {
      http: 'Making http requests in the init context is not supported',
      check: 'Using check() in the init context is not supported',
      scenario: 'getting scenario information outside of the VU context is not supported',
    });
  }

  const iterations = lines.filter((l) => l.kind === 'iteration');
  assert.equal(iterations.length, 6, 'per-vu-iterations: 2 VUs × 3');
  const byVU = new Map<number, Logged[]>();
  for (const l of iterations) byVU.set(l.vu, [...(byVU.get(l.vu) ?? []), l]);
  assert.equal(byVU.size, 2);
  for (const [vu, ls] of byVU) {
    // A module-level counter that counts only this VU's calls: its own instance of the script.
    assert.deepEqual(
      ls.map((l) => [l.initVU, l.iter, l.callsHere]),
      [
        [vu, 0, 1],
        [vu, 1, 2],
        [vu, 2, 3],
      ],
    );
  }
  for (const l of iterations) {
    assert.deepEqual(l.data, { from: 'setup', vu: 0 }, 'setup() ran with __VU 0 and its result reached every VU');
    assert.equal(l.scenario, 'perVU');
    assert.match(l.vuErrors!.open!, /^The "open\(\)" function is only available in the init stage/);
    assert.equal(l.vuErrors!.metric, 'metrics must be declared in the init context');
  }

  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
  };
  const m = summary.metrics;
  // 10 arrivals in 1 s on one VU whose iterations take 250 ms: the rest are dropped, none delayed.
  assert.equal(
    m['iterations']!.values.count! - 6 + m['dropped_iterations']!.values.count!,
    10,
    'paced: every arrival either ran or was dropped',
  );
  assert.ok(m['dropped_iterations']!.values.count! >= 4, `${m['dropped_iterations']!.values.count} dropped`);
  assert.deepEqual(
    m['calls{scenario:perVU}']!.thresholds,
    { 'count==6': { ok: true } },
    "a threshold on a custom metric's submetric",
  );
  assert.deepEqual(
    m['iterations{scenario:stuck}']!.values.count,
    0,
    'the stuck iteration was interrupted, not completed',
  );
  assert.deepEqual(m['checks']!.values, { rate: 1, passes: 6, fails: 0 });
});
