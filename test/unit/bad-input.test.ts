/**
 * Every flag with bad values: each gets exactly this one-line message and exit code 2, before
 * anything is started or written. The table is the contract; change a message here on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs } from '../../src/options/run-options.ts';
import { UsageError } from '../../src/errors.ts';

const TABLE: [string[], string][] = [
  [['burst', '--engine', 'wrk'], '--engine: expected one of autocannon, net, got "wrk"'],
  [['idle', '--duration', ''], '--duration: expected a duration with a unit like 30s, 10m or 1h30m, got ""'],
  [['idle', '--duration=-1m'], '--duration: must be at least 1s, got "-1m"'],
  [['idle', '--duration', '0s'], '--duration: must be at least 1s, got "0s"'],
  [['idle', '--duration', 'abc'], '--duration: expected a duration with a unit like 30s, 10m or 1h30m, got "abc"'],
  [['idle', '--duration', '10'], '--duration: expected a duration with a unit like 30s, 10m or 1h30m, got "10"'],
  [['idle', '--duration', '30d'], '--duration: must be at most 168h, got "30d"'],
  [['idle', '--duration', '10kg'], '--duration: expected a duration with a unit like 30s, 10m or 1h30m, got "10kg"'],
  [['idle', '--rate', ''], '--rate: expected a number greater than 0, got ""'],
  [['idle', '--rate=-1'], '--rate: expected a number greater than 0, got "-1"'],
  [['idle', '--rate', '0'], '--rate: expected a number greater than 0, got "0"'],
  [['idle', '--rate', 'x'], '--rate: expected a number greater than 0, got "x"'],
  [['idle', '--rate', '5000'], '--rate: must be at most 1000 per second, got "5000"'],
  [['steady', '--rate', '2000'], '--rate: must be at most 1000 per second, got "2000"'],
  [['steady', '--stages', '10s:500,10s:2000'], '--stages: a rate must be at most 1000 per second, got "10s:2000"'],
  [['idle', '--probe-timeout', '5ms'], '--probe-timeout: must be at least 10ms, got "5ms"'],
  [['idle', '--probe-timeout', '2h'], '--probe-timeout: must be at most 1m, got "2h"'],
  [['burst', '--requests', ''], '--requests: expected a whole number greater than 0, got ""'],
  [['burst', '--requests=-5'], '--requests: expected a whole number greater than 0, got "-5"'],
  [['burst', '--requests', '0'], '--requests: expected a whole number greater than 0, got "0"'],
  [['burst', '--requests', 'many'], '--requests: expected a whole number greater than 0, got "many"'],
  [['burst', '--requests', '1e12'], '--requests: must be at most 1000000000, got "1e12"'],
  [['burst', '--requests', '1.5'], '--requests: expected a whole number greater than 0, got "1.5"'],
  [['burst', '--connections', ''], '--connections: expected a whole number greater than 0, got ""'],
  [['burst', '--connections', '0'], '--connections: expected a whole number greater than 0, got "0"'],
  [['burst', '--connections=-1'], '--connections: expected a whole number greater than 0, got "-1"'],
  [['burst', '--connections', 'x'], '--connections: expected a whole number greater than 0, got "x"'],
  [['burst', '--connections', '100000'], '--connections: must be at most 10000, got "100000"'],
  [
    ['burst', '--request-timeout', '10'],
    '--request-timeout: expected a duration with a unit like 30s, 10m or 1h30m, got "10"',
  ],
  [['burst', '--request-timeout', '100ms'], '--request-timeout: must be at least 1s, got "100ms"'],
  [
    ['idle', '--sample-interval', ''],
    '--sample-interval: expected a duration with a unit like 30s, 10m or 1h30m, got ""',
  ],
  [['idle', '--sample-interval', '10ms'], '--sample-interval: must be at least 100ms, got "10ms"'],
  [['idle', '--sample-interval', '2m'], '--sample-interval: must be at most 1m, got "2m"'],
  [
    ['idle', '--sample-interval', '1'],
    '--sample-interval: expected a duration with a unit like 30s, 10m or 1h30m, got "1"',
  ],
  [['idle', '--settle=-1s'], '--settle: must be at least 0s, got "-1s"'],
  [['idle', '--ready-timeout', '1ms'], '--ready-timeout: must be at least 100ms, got "1ms"'],
  [
    ['idle', '--stop-grace', 'soon'],
    '--stop-grace: expected a duration with a unit like 30s, 10m or 1h30m, got "soon"',
  ],
  [['soak', '--idle-before', 'x'], '--idle-before: expected a duration with a unit like 30s, 10m or 1h30m, got "x"'],
  [['soak', '--idle-after', '5'], '--idle-after: expected a duration with a unit like 30s, 10m or 1h30m, got "5"'],
  [['idle', '--variant', ''], '--variant: expected one of plain, race, got ""'],
  [['idle', '--variant', 'debug'], '--variant: expected one of plain, race, got "debug"'],
  [['nope'], '--scenario: expected one of idle, burst, soak, steady or a scenario file (./my-scenario.ts), got "nope"'],
  [['idle', '--progress', 'yes'], '--progress: expected one of auto, on, off, got "yes"'],
  [
    ['idle', '--cmd', './s', '--url', ''],
    '--url: expected an http:// or https:// URL like http://127.0.0.1:8080, got ""',
  ],
  [
    ['idle', '--cmd', './s', '--url', 'ftp://127.0.0.1/'],
    '--url: expected an http:// or https:// URL, got scheme "ftp"',
  ],
  [
    ['idle', '--cmd', './s', '--url', 'http://'],
    '--url: expected an http:// or https:// URL like http://127.0.0.1:8080, got "http://"',
  ],
  [
    ['idle', '--cmd', './s', '--url', '127.0.0.1:8080'],
    '--url: expected an http:// or https:// URL like http://127.0.0.1:8080, got "127.0.0.1:8080"',
  ],
  [
    ['idle', '--url', 'http://127.0.0.1:1/', '--metrics-url', 'gopher://x/'],
    '--metrics-url: expected an http:// or https:// URL, got scheme "gopher"',
  ],
  [['idle', '--url', 'http://127.0.0.1:1/', '--pid', '0'], '--pid: expected a whole number greater than 0, got "0"'],
  [
    ['idle', '--url', 'http://127.0.0.1:1/', '--pid', '-3'],
    '--pid: expected a value; a value starting with a dash is written --pid=-3',
  ],
  [
    ['idle', '--url', 'http://127.0.0.1:1/', '--pid', 'abc'],
    '--pid: expected a whole number greater than 0, got "abc"',
  ],
  [['idle', '--url', 'http://127.0.0.1:1/', '--pid', '99999999'], '--pid: must be at most 4194304, got "99999999"'],
  [['idle', '--path', ''], '--path: expected a path starting with / and without spaces, like /health_check, got ""'],
  [
    ['idle', '--path', 'health'],
    '--path: expected a path starting with / and without spaces, like /health_check, got "health"',
  ],
  [
    ['idle', '--path', '/a b'],
    '--path: expected a path starting with / and without spaces, like /health_check, got "/a b"',
  ],
  [['idle', '--name', ''], '--name: expected 1-80 letters, digits, dots, dashes or underscores (no slashes), got ""'],
  [
    ['idle', '--name', '../escape'],
    '--name: expected 1-80 letters, digits, dots, dashes or underscores (no slashes), got "../escape"',
  ],
  [
    ['idle', '--name', 'a/b'],
    '--name: expected 1-80 letters, digits, dots, dashes or underscores (no slashes), got "a/b"',
  ],
  [
    ['idle', '--name', '.hidden'],
    '--name: expected 1-80 letters, digits, dots, dashes or underscores (no slashes), got ".hidden"',
  ],
  [['idle', '--out', ''], '--out: expected a folder path, got an empty string'],
  [['idle', '--memory-limit', '256'], '--memory-limit: must be at least 4Mi, got "256"'],
  [['idle', '--memory-limit', 'lots'], '--memory-limit: expected a size like 256Mi, 1Gi or 500M, got "lots"'],
  [['idle', '--memory-limit', '1Ki'], '--memory-limit: must be at least 4Mi, got "1Ki"'],
  [['idle', '--memory-limit', '0Mi'], '--memory-limit: must be at least 4Mi, got "0Mi"'],
  [['idle', '--max-restarts', '3'], '--max-restarts: only with --restart'],
  [['idle', '--restart', '--max-restarts', '0'], '--max-restarts: expected a whole number greater than 0, got "0"'],
  [
    ['idle', '--fail-on', 'errors'],
    '--fail-on: expected growth, held>SIZE (e.g. held>200Mi) or both separated by a comma, got "errors"',
  ],
  [['idle', '--fail-on', 'held>lots'], '--fail-on: expected a size like 256Mi, 1Gi or 500M, got "lots"'],
  [['idle', '--bogus'], '--bogus: unknown flag (see --help)'],
  [['idle', '--duration'], '--duration: expected a value'],
];

for (const [args, message] of TABLE) {
  test(`${args.join(' ')} → ${message}`, () => {
    assert.throws(
      () => parseRunArgs(args),
      (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.equal(e.exitCode, 2);
        assert.equal(e.message, message);
        return true;
      },
    );
  });
}

test('the table covers every flag that takes a value', () => {
  const flags = new Set(TABLE.flatMap(([args]) => args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!)));
  for (const f of [
    '--duration',
    '--rate',
    '--probe-timeout',
    '--requests',
    '--connections',
    '--request-timeout',
    '--sample-interval',
    '--settle',
    '--ready-timeout',
    '--stop-grace',
    '--idle-before',
    '--idle-after',
    '--variant',
    '--progress',
    '--url',
    '--metrics-url',
    '--pid',
    '--path',
    '--name',
    '--out',
    '--memory-limit',
    '--max-restarts',
    '--fail-on',
    '--engine',
  ]) {
    assert.ok(flags.has(f), `no bad-input case for ${f}`);
  }
});
