import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgsInput, parseCompare, planInvocation, readActionInputs } from '../../src/action/inputs.ts';
import { parseRunArgs } from '../../src/options/run-options.ts';
import { parseCompareArgs } from '../../src/options/compare-options.ts';
import { defaultCacheDir, findPackageRoot, PACKAGE_ROOT } from '../../src/package-paths.ts';
import { UsageError } from '../../src/errors.ts';

const never = () => false;
const inputs = (env: Record<string, string>) =>
  readActionInputs(Object.fromEntries(Object.entries(env).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])));

test('one run against your server: --cmd, --url, the run directory named by the action', () => {
  const inv = planInvocation(
    inputs({
      scenario: 'burst',
      command: './bin/server -addr 127.0.0.1:9000',
      url: 'http://127.0.0.1:9000',
      path: '/healthz',
      preset: 'ci',
      'fail-on': 'growth',
      'memory-limit': '256Mi',
      args: '--requests 5000 --metrics-url "http://127.0.0.1:9000/metrics"',
    }),
    never,
  );
  assert.equal(inv.mode, 'run');
  assert.deepEqual(inv.argv, [
    'run',
    'burst',
    '--path',
    '/healthz',
    '--preset',
    'ci',
    '--memory-limit',
    '256Mi',
    '--progress',
    'off',
    '--cmd',
    './bin/server -addr 127.0.0.1:9000',
    '--url',
    'http://127.0.0.1:9000',
    '--out',
    'leakbench-reports',
    '--name',
    'burst-server',
    '--fail-on',
    'growth',
    '--requests',
    '5000',
    '--metrics-url',
    'http://127.0.0.1:9000/metrics',
  ]);
  assert.equal(inv.dir, join('leakbench-reports', 'burst-server'));
  // What the action builds, leakbench's own parser accepts (and reads the flags as meant).
  const parsed = parseRunArgs(inv.argv.slice(1));
  assert.ok(!parsed.help);
  assert.deepEqual(parsed.options.failOn, { growth: true });
  assert.equal(parsed.options.requests, 5000);
});

test('defaults: the soak against the bundled race build, at CI sizes when the preset input says so', () => {
  const inv = planInvocation(inputs({ preset: 'ci' }), never);
  assert.deepEqual(inv.argv, [
    'run',
    'soak',
    '--preset',
    'ci',
    '--progress',
    'off',
    '--variant',
    'race',
    '--out',
    'leakbench-reports',
    '--name',
    'soak-race',
  ]);
});

test('a name already taken in the output folder gets -2, -3 (stored runs are never overwritten)', () => {
  const taken = new Set([join('out', 'idle-plain'), join('out', 'idle-plain-2')]);
  const inv = planInvocation(inputs({ scenario: 'idle', variant: 'plain', output: 'out' }), (p) => taken.has(p));
  assert.equal(inv.dir, join('out', 'idle-plain-3'));
});

test('compare your builds: --cmd and --label per line; fail-on-builds gates only those, after the run', () => {
  const inv = planInvocation(
    inputs({
      compare:
        'plain: ./bin/server -addr 127.0.0.1:8080\n# the race build\nrace: ./bin/server-race -addr 127.0.0.1:8080\n',
      url: 'http://127.0.0.1:8080',
      'fail-on': 'growth',
      'fail-on-builds': 'plain',
    }),
    never,
  );
  assert.equal(inv.mode, 'compare');
  assert.deepEqual(inv.labels, ['plain', 'race']);
  assert.deepEqual(inv.gate, ['plain']);
  assert.ok(!inv.argv.includes('--fail-on'), 'the race build must not fail the step through leakbench itself');
  assert.deepEqual(inv.argv.slice(0, 2), ['compare', 'soak']);
  assert.deepEqual(
    inv.argv.filter((_, i) => inv.argv[i - 1] === '--cmd'),
    ['./bin/server -addr 127.0.0.1:8080', './bin/server-race -addr 127.0.0.1:8080'],
  );
  assert.deepEqual(
    inv.argv.filter((_, i) => inv.argv[i - 1] === '--label'),
    ['plain', 'race'],
  );
  assert.equal(inv.dir, join('leakbench-reports', 'compare-soak'));
  // Without fail-on-builds every build is gated, by leakbench's own --fail-on.
  const all = planInvocation(
    inputs({ compare: 'a: ./a\nb: ./b', url: 'http://127.0.0.1:8080', 'fail-on': 'growth' }),
    never,
  );
  assert.equal(all.gate, undefined);
  assert.ok(all.argv.includes('--fail-on'));
});

test('baseline: compare --baseline with leakbench itself gating every other build', () => {
  const inv = planInvocation(
    inputs({
      compare: 'base: ./bin/base -addr 127.0.0.1:8080\nhead: ./bin/head -addr 127.0.0.1:8080',
      url: 'http://127.0.0.1:8080',
      baseline: 'base',
      'fail-on': 'growth',
      args: '--rounds 2',
    }),
    never,
  );
  assert.equal(inv.baseline, 'base');
  assert.equal(inv.gate, undefined, 'the step does not gate by verdicts afterwards');
  const at = (flag: string) => inv.argv[inv.argv.indexOf(flag) + 1];
  assert.equal(at('--baseline'), 'base');
  assert.equal(at('--fail-on'), 'growth');
  assert.equal(at('--rounds'), '2');
  // leakbench's own parser takes the command line as the action builds it.
  const o = parseCompareArgs(inv.argv.slice(1), () => 'x');
  assert.ok(o !== 'help');
  assert.equal(o.baseline, 'base');
  assert.deepEqual(o.failOn, { growth: true });
  assert.deepEqual(
    o.runs.map((r) => r.label),
    ['base-r1', 'head-r1', 'base-r2', 'head-r2'],
  );
});

test('compare the bundled builds', () => {
  const inv = planInvocation(inputs({ scenario: 'burst', compare: 'plain,race' }), never);
  assert.deepEqual(inv.argv.slice(-2), ['--variants', 'plain,race']);
  assert.deepEqual(parseCompare('plain\nrace'), [{ label: 'plain' }, { label: 'race' }]);
});

test('bad inputs are usage errors that name the input', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ command: './server' }, /^input url: /],
    [{ url: 'http://127.0.0.1:1' }, /^input url: give command too/],
    [{ compare: 'plain: ./a' }, /^input compare: name two or more builds/],
    [{ compare: 'plain: ./a\nrace' }, /^input compare: either every line/],
    [{ compare: 'a: ./a\na: ./b', url: 'http://127.0.0.1:1' }, /^input compare: each build needs a label/],
    [{ compare: 'fast lane' }, /^input compare: expected "label: command line"/],
    [
      { compare: 'a: ./a\nb: ./b', url: 'http://127.0.0.1:1', 'fail-on': 'growth', 'fail-on-builds': 'c' },
      /^input fail-on-builds: "c" is not one of the compared builds \(a, b\)$/,
    ],
    [{ 'fail-on-builds': 'plain' }, /^input fail-on-builds: only with compare$/],
    [
      { compare: 'base: ./a\nhead: ./b', url: 'http://127.0.0.1:1', baseline: 'main' },
      /^input baseline: "main" is not one of the compared builds \(base, head\)$/,
    ],
    [{ baseline: 'base' }, /^input baseline: only with compare/],
    [
      { compare: 'base: ./a\nhead: ./b', url: 'http://127.0.0.1:1', baseline: 'base', 'fail-on-builds': 'head' },
      /^input fail-on-builds: not with baseline/,
    ],
    [{ args: '--baseline base' }, /^input args: --baseline is set by the action; use its input \(baseline\)/],
    [{ 'fail-on': 'errors' }, /^input fail-on: expected growth, held>SIZE \(e\.g\. held>200Mi\) or both/],
    [{ 'fail-on': 'held>lots' }, /^input fail-on: /],
    [{ args: '--requests 5 ; rm -rf /' }, /^input args: expected flags and values/],
    [{ args: '--out elsewhere' }, /^input args: --out is set by the action; use its input \(output\)/],
    [{ command: './a', url: 'http://127.0.0.1:1', variant: 'race' }, /^input variant: /],
  ];
  for (const [env, message] of bad) {
    assert.throws(
      () => planInvocation(inputs(env), never),
      (err: unknown) => err instanceof UsageError && message.test(err.message),
      JSON.stringify(env),
    );
  }
});

test('args keep quoted words whole and $VARIABLES as written', () => {
  assert.deepEqual(
    parseArgsInput(`--metrics-url 'http://127.0.0.1:1/metrics' --prometheus-selector 'job="a b"' --x $HOME`),
    ['--metrics-url', 'http://127.0.0.1:1/metrics', '--prometheus-selector', 'job="a b"', '--x', '$HOME'],
  );
});

test('the package root is found from any depth below it, and only the package named leakbench counts', () => {
  assert.equal(findPackageRoot(join(PACKAGE_ROOT, 'src', 'action')), PACKAGE_ROOT);
  const outer = mkdtempSync(join(tmpdir(), 'leakbench-root-'));
  const inner = join(outer, 'node_modules', 'other', 'dist');
  mkdirSync(inner, { recursive: true });
  writeFileSync(join(outer, 'package.json'), JSON.stringify({ name: 'leakbench' }));
  writeFileSync(join(outer, 'node_modules', 'other', 'package.json'), JSON.stringify({ name: 'other' }));
  assert.equal(findPackageRoot(inner), outer);
});

test('build cache: $LEAKBENCH_CACHE_DIR, else .cache in a checkout, else the user cache directory', () => {
  const installed = mkdtempSync(join(tmpdir(), 'leakbench-installed-'));
  assert.equal(defaultCacheDir({ LEAKBENCH_CACHE_DIR: '/x/y' }, installed), '/x/y');
  assert.equal(defaultCacheDir({}, PACKAGE_ROOT), join(PACKAGE_ROOT, '.cache', 'targets'));
  assert.equal(
    defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }, installed),
    join('/var/cache/u', 'leakbench', 'targets'),
  );
  assert.equal(
    defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, installed),
    join(homedir(), '.cache', 'leakbench', 'targets'),
  );
});
