import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readScriptEnv } from '../../scenarios/k6/lib/env.ts';
import { burstPhase, defineScenario } from '../../src/load/phases.ts';
import { parseCompareArgs } from '../../src/options/compare-options.ts';
import { parseK6ImportArgs } from '../../src/options/k6-import-options.ts';
import { parseReportArgs } from '../../src/options/report-options.ts';
import { LIMITS } from '../../src/options/rules.ts';
import { recordedRunOptions } from '../../src/options/run-options.ts';
import { parseSampleArgs } from '../../src/options/sample-options.ts';
import { buildPhases } from '../../src/run/load-scenario.ts';
import { opts, rejects } from '../helpers/run-args.ts';
import { tempDir } from '../helpers/synthetic-run.ts';

/*
 * Each rule is written once (src/options/rules.ts, src/options/sample-interval.ts); these check
 * that every way a value arrives meets the same rule with the same words.
 */

test('--sample-interval: one parser and one 100 ms minimum for run, compare and sample', () => {
  assert.equal(LIMITS.sampleIntervalMs.min, 100);
  const message = /^UsageError: --sample-interval: must be at least 100ms, got "50ms"$/;
  rejects(['idle', '--sample-interval', '50ms'], /^--sample-interval: must be at least 100ms, got "50ms"$/);
  assert.throws(
    () =>
      parseSampleArgs([
        '--metrics-url',
        'http://127.0.0.1:9/metrics',
        '--duration',
        '10s',
        '--sample-interval',
        '50ms',
      ]),
    message,
  );
  assert.throws(() => parseCompareArgs(['burst', '--sample-interval', '50ms'], () => 'x'), message);
  const sample = parseSampleArgs([
    '--metrics-url',
    'http://127.0.0.1:9/metrics',
    '--duration',
    '10s',
    '--sample-interval',
    '250ms',
  ]);
  assert.equal(sample !== 'help' && sample.intervalMs, 250);
  const compare = parseCompareArgs(['burst', '--sample-interval', '250ms'], () => 'x');
  assert.deepEqual(compare !== 'help' && compare.runs.map((r) => [r.label, r.options.sampleIntervalMs]), [
    ['plain', 250],
    ['race', 250],
  ]);
});

test("connections <= requests: the same rule for flags, k6 __ENV and a scenario file's phases", () => {
  rejects(
    ['burst', '--requests', '10', '--connections', '20'],
    /^--connections: 20 connections cannot share 10 requests \(each connection needs at least one\)$/,
  );
  assert.throws(
    () => readScriptEnv({ LEAKBENCH_REQUESTS: '10', LEAKBENCH_CONNECTIONS: '20' }),
    /^EnvError: LEAKBENCH_CONNECTIONS: 20 connections cannot share 10 requests \(LEAKBENCH_REQUESTS\)$/,
  );
  const def = defineScenario({
    name: 'mine',
    description: '',
    phases: (p) => [{ ...burstPhase('b', p), requests: 10, connections: 20 }],
  });
  assert.throws(
    () => buildPhases(def, opts('burst')),
    /^UsageError: scenario mine: phase 1 \(b\): 20 connections cannot share 10 requests$/,
  );
  // The limits are the same numbers on both engines.
  rejects(['burst', '--connections', String(LIMITS.connections.max + 1)], /--connections: must be at most 10000/);
  assert.throws(
    () => readScriptEnv({ LEAKBENCH_CONNECTIONS: String(LIMITS.connections.max + 1) }),
    /LEAKBENCH_CONNECTIONS: must be at most 10000/,
  );
  assert.throws(
    () => readScriptEnv({ LEAKBENCH_RATE: String(LIMITS.rate.max + 1) }),
    /LEAKBENCH_RATE: must be at most 1000/,
  );
  rejects(['idle', '--rate', String(LIMITS.rate.max + 1)], /--rate: must be at most 1000/);
});

test("compare checks every run's options before anything is created", () => {
  const o = parseCompareArgs(
    ['burst', '--requests', '1000', '--connections', '10', '--out', 'somewhere', '--name', 'cmp'],
    () => 'unused',
  );
  assert.ok(o !== 'help');
  assert.match(o.dir, /somewhere\/cmp$/);
  assert.deepEqual(
    o.runs.map((r) => [r.label, r.options.outDir, r.options.name, r.options.requests]),
    [
      ['plain', o.dir, 'plain', 1000],
      ['race', o.dir, 'race', 1000],
    ],
  );
  assert.equal(
    parseCompareArgs(['--help'], () => 'x'),
    'help',
  );
  assert.throws(() => parseCompareArgs(['--cmd', 'a'], () => 'x'), /--cmd: give two or more/);
});

test('report: one existing directory, or a k6 import', () => {
  const dir = tempDir('leakbench-report-args-');
  assert.deepEqual(parseReportArgs([dir]), { k6: false, dir });
  assert.deepEqual(parseReportArgs(['--k6=x.json']), { k6: true });
  assert.throws(() => parseReportArgs([]), /^UsageError: report: expected one argument, the run directory/);
  assert.throws(() => parseReportArgs([join(dir, 'nope')]), /^UsageError: report: .*nope is not a directory$/);
});

test('report --k6 flags', () => {
  assert.deepEqual(parseK6ImportArgs(['--k6', 'a.json', '--k6', 'b.csv', '--samples', 'r', '--name', 'n']), {
    inputs: ['a.json', 'b.csv'],
    samples: 'r',
    outDir: 'reports',
    name: 'n',
  });
  assert.throws(() => parseK6ImportArgs([]), /^UsageError: --k6: expected a k6 output file or directory$/);
  assert.throws(() => parseK6ImportArgs(['x']), /report --k6: unexpected argument "x"/);
});

test('run.json keeps the run options in their order, URLs as strings', () => {
  const o = opts(
    'soak',
    '--cmd',
    './srv',
    '--url',
    'http://127.0.0.1:9/x',
    '--prometheus-url',
    'http://127.0.0.1:9090',
    '--pod',
    'p',
    '--memory-limit',
    '64Mi',
  );
  const recorded = recordedRunOptions(o);
  assert.deepEqual(
    JSON.parse(JSON.stringify(recorded)),
    JSON.parse(JSON.stringify(o)),
    'the same JSON as the options themselves',
  );
  assert.deepEqual(Object.keys(recorded), Object.keys(o));
  assert.deepEqual(recorded.target, { kind: 'command', command: './srv', url: 'http://127.0.0.1:9/x' });
  assert.equal(recorded.prometheus?.url, 'http://127.0.0.1:9090/');
});
