/**
 * The `sites` section of `npm run bench` (bench/markdown-sites.ts): --sites off and on paired by
 * round, the change of each pair, its spread over rounds, the goal of 5% decided from the median,
 * and the table. Measurements are stand-ins here; bench/sites.ts takes them from real servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSites, sitesGoalRows, sitesRows } from '../../bench/markdown-sites.ts';
import type { SitesCostResults, SitesRun } from '../../bench/sites.ts';

function run(runtime: SitesRun['runtime'], mode: SitesRun['mode'], round: number, cpu: number, rate: number): SitesRun {
  return { runtime, mode, round, requests: 1000, rate, targetCpuMsPerKreq: cpu, otherCores: 0.1 * round };
}

const results: SitesCostResults = {
  rounds: 3,
  connections: 50,
  cases: [
    { runtime: 'node', label: 'a Node.js server', requests: 1000 },
    { runtime: 'python', label: 'a Python server', requests: 1000 },
    { runtime: 'jvm', label: 'never measured', requests: 1000 },
  ],
  runs: [
    run('node', 'off', 1, 40, 10_000),
    { ...run('node', 'on', 1, 42, 9_000), readMs: [10, 30], top: { site: 'a|b (x.mjs:1)', share: 0.8 } },
    { ...run('node', 'on', 2, 50, 8_000), readMs: [20] },
    run('node', 'off', 2, 50, 8_000),
    run('node', 'off', 3, 40, 10_000),
    { ...run('node', 'on', 3, 39, 10_500), unavailable: 'the inspector session is gone' },
    // A round with only one mode measured (a failure in between) is left out of the pairs.
    run('node', 'off', 4, 10, 1),
    run('python', 'off', 1, 100, 10_000),
    { ...run('python', 'on', 1, 300, 3_000), top: { site: 'keep (server.py:11)', share: 1 } },
    run('python', 'on', 2, 250, 4_000),
    run('python', 'off', 2, 100, 10_000),
  ],
};

test('--sites off and on paired by round: medians, the change of each pair in round order, none for a lone mode', () => {
  const rows = sitesRows(results);
  assert.deepEqual(
    rows.map((r) => r.runtime),
    ['node', 'python'],
  );
  const node = rows[0]!;
  assert.equal(node.pairs, 3);
  assert.deepEqual(node.cpu.changes, [42 / 40 - 1, 0, 39 / 40 - 1]);
  assert.equal(node.cpu.change, 0);
  assert.equal(node.cpu.off, 40);
  assert.equal(node.cpu.on, 42);
  assert.deepEqual(
    node.rate.changes.map((x) => Math.round(x * 1e9) / 1e9),
    [-0.1, 0, 0.05],
  );
  assert.deepEqual(node.readMs, [10, 30, 20]);
  assert.deepEqual(node.top, { site: 'a|b (x.mjs:1)', share: 0.8 });
  assert.equal(node.unavailable, 'the inspector session is gone');
  const python = rows[1]!;
  assert.deepEqual(python.cpu.changes, [2, 1.5]);
  assert.equal(python.cpu.change, 1.75);
  assert.equal(python.readMs.length, 0);
});

test('the goal is decided from the median change in CPU per request; Python is named the exception', () => {
  const goals = sitesGoalRows(results);
  assert.equal(goals.length, 2);
  assert.match(goals[0]!.goal, /< 5% CPU per request, Node\.js: V8's sampling heap profiler/);
  assert.equal(goals[0]!.met, true);
  assert.equal(goals[0]!.measured, '+0.0% (rounds -2.5% to +5.0%); req/s +0.0%');
  assert.match(goals[1]!.goal, /Python: tracemalloc.*\(the documented exception\)$/);
  assert.equal(goals[1]!.met, false);
  assert.match(goals[1]!.measured, /^\+175\.0% \(rounds \+150\.0% to \+200\.0%\)/);
});

test('the table: a row per runtime measured, pipes in site names escaped, rounds listed off/on', () => {
  const text = renderSites(results, { before: [1, 1, 1], after: [2, 2, 2] }).join('\n');
  assert.match(text, /\| Node\.js \| .* \| 1,000 \| 40\.0 → 42\.0 \| \+0\.0% \| -2\.5% to \+5\.0% \|/);
  assert.match(text, /\| a\\\|b \(x\.mjs:1\) \(80%\) \|/);
  assert.match(text, /\| 20 ms \|/);
  assert.match(text, /Node\.js 40\/42, 50\/50, 40\/39, 10\/–; Python 100\/300, 100\/250\./);
  assert.doesNotMatch(text, /\| JVM \|/);
});
