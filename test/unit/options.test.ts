import { test } from 'node:test';
import { opts, rejects } from '../helpers/run-args.ts';
import assert from 'node:assert/strict';
import { parseRunArgs, DEFAULTS } from '../../src/options/run-options.ts';

test("defaults are the report's numbers and the race build", () => {
  const o = opts('burst');
  assert.deepEqual(o.target, { kind: 'bundled', variant: 'race' });
  assert.equal(o.requests, 1_000_000);
  assert.equal(o.connections, 100);
  assert.equal(o.path, '/health_check');
  assert.equal(o.durationMs, 10 * 60_000);
  assert.equal(o.rate, 1);
  assert.equal(o.probeTimeoutMs, 1000);
  assert.equal(o.sampleIntervalMs, 1000);
  assert.ok(Object.isFrozen(DEFAULTS));
});

test('values parse: durations with units, 1e6 and 1_000_000 counts, variant', () => {
  const o = opts('idle', '--duration', '1h30m', '--rate', '2.5', '--sample-interval', '100ms', '--variant', 'plain');
  assert.equal(o.durationMs, 90 * 60_000);
  assert.equal(o.rate, 2.5);
  assert.equal(o.sampleIntervalMs, 100);
  assert.deepEqual(o.target, { kind: 'bundled', variant: 'plain' });
  assert.equal(opts('burst', '--requests', '1e6').requests, 1_000_000);
  assert.equal(opts('burst', '--requests', '1_000_000').requests, 1_000_000);
});

test('--help', () => assert.deepEqual(parseRunArgs(['--help']), { help: true }));

test('missing scenario', () => rejects([], /^scenario: expected one of idle, burst, soak, steady or a scenario file/));
test('unknown scenario', () =>
  rejects(
    ['soak2'],
    /^--scenario: expected one of idle, burst, soak, steady or a scenario file \(\.\/my-scenario\.ts\), got "soak2"$/,
  ));
test('scenario file that does not exist', () =>
  rejects(['./nope.ts'], /^scenario: file "\.\/nope\.ts" does not exist$/));
test('scenario file with another extension', () =>
  rejects(['./README.md'], /^scenario: a scenario file must end in \.ts, \.js or \.mjs/));
test('extra positional', () => rejects(['idle', 'burst'], /^unexpected argument "burst"/));
test('unknown flag', () => rejects(['idle', '--bogus', '1'], /^--bogus: unknown flag/));
test('flag without value', () => rejects(['idle', '--duration'], /^--duration: expected a value$/));
test('unknown variant', () =>
  rejects(['idle', '--variant', 'debug'], /^--variant: expected one of plain, race, got "debug"$/));
test('duration without unit', () =>
  rejects(['idle', '--duration', '10'], /^--duration: expected a duration with a unit/));
test('malformed duration', () =>
  rejects(['idle', '--duration', 'ten minutes'], /^--duration: expected a duration with a unit/));
test('negative duration', () => rejects(['idle', '--duration=-5s'], /^--duration: must be at least/));
test('a dash value without =', () =>
  rejects(
    ['idle', '--duration', '-5s'],
    /^--duration: expected a value; a value starting with a dash is written --duration=-5s$/,
  ));
test('zero duration', () => rejects(['idle', '--duration', '0s'], /^--duration: must be at least 1s/));
test('sample interval below 100ms', () =>
  rejects(['idle', '--sample-interval', '50ms'], /^--sample-interval: must be at least 100ms/));
test('zero requests', () =>
  rejects(['burst', '--requests', '0'], /^--requests: expected a whole number greater than 0, got "0"$/));
test('negative connections', () =>
  rejects(['burst', '--connections=-3'], /^--connections: expected a whole number greater than 0/));
test('fractional requests', () =>
  rejects(['burst', '--requests', '2.5'], /^--requests: expected a whole number greater than 0/));
test('non-numeric rate', () =>
  rejects(['idle', '--rate', 'fast'], /^--rate: expected a number greater than 0, got "fast"$/));
test('zero rate', () => rejects(['idle', '--rate', '0'], /^--rate: expected a number greater than 0/));
test('huge rate', () => rejects(['idle', '--rate', '1e9'], /^--rate: must be at most 1000/));
test('--burst-threads: a whole number up to 8, for the net engine, no more than the connections', () => {
  assert.equal(opts('burst', '--burst-threads', '3').burstThreads, 3);
  assert.equal(opts('burst').burstThreads, undefined);
  rejects(['burst', '--burst-threads', '0'], /^--burst-threads: expected a whole number greater than 0/);
  rejects(['burst', '--burst-threads', '9'], /^--burst-threads: must be at most 8/);
  rejects(['burst', '--burst-threads', '2', '--engine', 'autocannon'], /^--burst-threads: only for --engine net/);
  rejects(
    ['burst', '--burst-threads', '4', '--connections', '2'],
    /^--burst-threads: 4 threads for 2 connections; expected at most one thread per connection/,
  );
});

test('more connections than requests', () =>
  rejects(
    ['burst', '--requests', '10', '--connections', '100'],
    /^--connections: 100 connections cannot share 10 requests/,
  ));
test('url with another scheme', () =>
  rejects(
    ['idle', '--cmd', 'x', '--url', 'ftp://127.0.0.1/'],
    /^--url: expected an http:\/\/ or https:\/\/ URL, got scheme "ftp"$/,
  ));
test('url that is not a URL', () =>
  rejects(['idle', '--cmd', 'x', '--url', 'localhost:8080x'], /^--url: expected an http/));
test('metrics url with another scheme', () =>
  rejects(
    ['idle', '--url', 'http://127.0.0.1:1/', '--metrics-url', 'file:///etc/passwd'],
    /^--metrics-url: expected an http/,
  ));
test('path without leading slash', () =>
  rejects(['idle', '--path', 'health'], /^--path: expected a path starting with \//));
test('--cmd without --url', () => rejects(['idle', '--cmd', './server'], /^--cmd: also give --url/));
test('empty --cmd', () =>
  rejects(['idle', '--cmd', ' ', '--url', 'http://127.0.0.1:1/'], /^--cmd: expected a command line/));
test('--url alone has nothing to sample', () =>
  rejects(
    ['idle', '--url', 'http://127.0.0.1:1/'],
    /^--url: attaching to a running server needs --pid and\/or --metrics-url/,
  ));
test('--pid without --url', () => rejects(['idle', '--pid', '1'], /^--pid: also give --url/));
test('--pid not a number', () =>
  rejects(['idle', '--url', 'http://127.0.0.1:1/', '--pid', 'abc'], /^--pid: expected a whole number greater than 0/));
test('--variant with --cmd', () =>
  rejects(
    ['idle', '--variant', 'plain', '--cmd', 'x', '--url', 'http://127.0.0.1:1/'],
    /^--variant: applies to the bundled target only/,
  ));
test('--name that escapes the reports folder', () =>
  rejects(['idle', '--name', '../etc'], /^--name: expected 1-80 letters/));
test('bad progress mode', () => rejects(['idle', '--progress', 'maybe'], /^--progress: expected one of auto, on, off/));

test('--url with a path sets the request path; --path wins over it', () => {
  const a = opts('idle', '--cmd', './srv', '--url', 'http://127.0.0.1:9000/healthz');
  assert.equal(a.path, '/healthz');
  assert.equal(a.target.kind, 'command');
  const b = opts('idle', '--cmd', './srv', '--url', 'http://127.0.0.1:9000/healthz', '--path', '/ready');
  assert.equal(b.path, '/ready');
});

test('attach with --pid and --metrics-url', () => {
  const o = opts('burst', '--url', 'http://[::1]:8080/', '--pid', '1234', '--metrics-url', 'http://[::1]:8080/metrics');
  assert.equal(o.target.kind, 'attach');
  if (o.target.kind !== 'attach') return;
  assert.equal(o.target.pid, 1234);
  assert.equal(o.target.metricsUrl?.href, 'http://[::1]:8080/metrics');
});

test('--sites on|off: recorded as given, absent by default, anything else named in the error', () => {
  assert.equal(opts('soak', '--sites', 'on').sites, 'on');
  assert.equal(opts('soak', '--sites', 'off').sites, 'off');
  assert.equal(opts('soak').sites, undefined);
  rejects(['soak', '--sites', 'yes'], /^--sites: /);
});

test('--inspect-attach: with --pid only, named in the error otherwise', () => {
  assert.equal(
    opts('burst', '--url', 'http://127.0.0.1:8080', '--pid', '1234', '--inspect-attach').inspectAttach,
    true,
  );
  assert.equal(opts('burst', '--url', 'http://127.0.0.1:8080', '--pid', '1234').inspectAttach, undefined);
  rejects(
    ['burst', '--cmd', 'node s.js', '--url', 'http://127.0.0.1:8080', '--inspect-attach'],
    /^--inspect-attach: only with --pid/,
  );
  rejects(
    ['burst', '--url', 'http://127.0.0.1:8080', '--metrics-url', 'http://127.0.0.1:8080/m', '--inspect-attach'],
    /^--inspect-attach: only with --pid/,
  );
  rejects(['burst', '--inspect-attach'], /^--inspect-attach: only with --pid/);
});

test('--bursts: the soak repeats its burst, 2 by default, each followed by a rest; 1 keeps the old phases', async () => {
  const { scenarios } = await import('../../scenarios/index.ts');
  const { buildPhases } = await import('../../src/run/load-scenario.ts');
  const names = (o: ReturnType<typeof opts>) => buildPhases(scenarios.soak, o).map((p) => p.name);
  assert.equal(opts('soak').bursts, 2);
  assert.deepEqual(names(opts('soak')), ['idle-before', 'burst-1', 'rest-1', 'burst-2', 'idle-after']);
  assert.deepEqual(names(opts('soak', '--bursts', '1')), ['idle-before', 'burst', 'idle-after']);
  assert.equal(names(opts('soak', '--bursts', '3')).filter((n) => n.startsWith('burst')).length, 3);
  const bursts = buildPhases(scenarios.soak, opts('soak', '--bursts', '3')).filter((p) => p.kind === 'burst');
  assert.ok(bursts.every((b) => b.kind === 'burst' && b.requests === DEFAULTS.requests));
  // The bundled idle and burst scenarios keep their shape.
  assert.deepEqual(
    buildPhases(scenarios.burst, opts('burst')).map((p) => p.kind),
    ['burst'],
  );
});
test('--bursts: 0, a fraction, too many, another scenario, no rest', () => {
  rejects(['soak', '--bursts', '0'], /^--bursts: expected a whole number greater than 0, got "0"$/);
  rejects(['soak', '--bursts', '1.5'], /^--bursts: expected a whole number greater than 0/);
  rejects(['soak', '--bursts', '21'], /^--bursts: /);
  rejects(['burst', '--bursts', '2'], /^--bursts: only for the soak scenario/);
  rejects(['soak', '--idle-after', '0s'], /^--bursts: each burst needs a rest after it/);
});
