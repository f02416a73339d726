import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BEHAVIOURS,
  CorpusLabelError,
  isLeak,
  parseCorpusLabel,
  readCorpus,
  RUNTIME_NAMES,
  type CorpusRuntime,
} from '../../bench/verdicts/corpus.ts';
import {
  accuracy,
  confusion,
  confusionBy,
  detectionRate,
  falsePositiveRate,
  smallestDetected,
  totals,
  wrongRuns,
  type RunRecord,
} from '../../bench/verdicts/matrix.ts';
import { renderVerdictBench } from '../../bench/verdicts/markdown.ts';
import { reanalyseRuns } from '../../bench/verdicts/reanalyse.ts';
import { materialise } from '../helpers/fixture-run.ts';
import { tempDir } from '../helpers/synthetic-run.ts';

test('every corpus file carries its label: what it does, its behaviour, the class it should get', () => {
  const corpus = readCorpus();
  assert.ok(corpus.length >= 24, `${corpus.length} servers`);
  for (const s of corpus) {
    assert.ok(s.what.length > 30, `${s.name}: what: ${s.what}`);
    assert.ok(s.accept.includes(s.expect), s.name);
    assert.equal(s.leak !== undefined, isLeak(s.behaviour), s.name);
  }
  for (const rt of Object.keys(RUNTIME_NAMES) as CorpusRuntime[]) {
    const mine = corpus.filter((s) => s.runtime === rt);
    assert.ok(
      mine.some((s) => isLeak(s.behaviour)) && mine.some((s) => !isLeak(s.behaviour)),
      `${rt}: a leak and a non-leak`,
    );
    assert.ok(
      mine.some((s) => s.quick),
      `${rt}: in the quick third`,
    );
  }
  for (const b of BEHAVIOURS)
    assert.ok(
      corpus.some((s) => s.behaviour === b),
      `no server of behaviour ${b}`,
    );
  const quick = corpus.filter((s) => s.quick).length;
  assert.ok(quick >= corpus.length / 4 && quick <= corpus.length / 2.5, `quick: ${quick} of ${corpus.length}`);
  assert.ok(
    corpus.some((s) => s.leak?.per === 'minute' && s.leak.amount <= 17),
    'a slow leak of about 1 MiB an hour',
  );
});

test('a label is parsed from the header comment in each language, and a bad one names the file and field', () => {
  const go = parseCorpusLabel(
    '// what: keeps 1 KiB\n// per request.\n// behaviour: heap per request\n// expect: growth\n// accept: growth\n// leak: 1 KiB per request\npackage main\n// quick: yes\n',
    'a.go',
  );
  assert.deepEqual(go, {
    what: 'keeps 1 KiB per request.',
    behaviour: 'heap per request',
    expect: 'growth',
    accept: ['growth'],
    leak: { amount: 1, unit: 'KiB', per: 'request' },
    quick: false,
    flags: [],
  });
  const c = parseCorpusLabel(
    '/* what: a pool\n * behaviour: pool\n * expect: bounded\n * accept: bounded, stable\n * quick: yes\n */\nint x;',
    'b.c',
  );
  assert.deepEqual([c.accept, c.quick, c.leak], [['bounded', 'stable'], true, undefined]);
  const py = parseCorpusLabel(
    '# what: x\n# behaviour: garbage\n# expect: stable\n# accept: stable\n# flags: -X dev\n',
    'c.py',
  );
  assert.deepEqual(py.flags, ['-X', 'dev']);
  const bad = (text: string, message: RegExp) =>
    assert.throws(
      () => parseCorpusLabel(text, 'x.go'),
      (e: unknown) => e instanceof CorpusLabelError && message.test(e.message),
    );
  bad('// what: x\n// expect: growth\n// accept: growth\n', /^x\.go: the header comment has no "behaviour:" line/);
  bad(
    '// what: x\n// behaviour: cache\n// expect: bounded\n// accept: bounded\n',
    /x\.go: behaviour: "cache" is not one of/,
  );
  bad(
    '// what: x\n// behaviour: pool\n// expect: bounded\n// accept: stable\n',
    /accept: must include the expected bounded/,
  );
  bad('// what: x\n// behaviour: pool\n// expect: bounded\n// accept: bounded, growth\n', /cannot accept growth/);
  bad('// what: x\n// behaviour: tasks\n// expect: growth\n// accept: growth\n', /leak: required for a leak/);
  bad(
    '// what: x\n// behaviour: tasks\n// expect: growth\n// accept: growth, cannot-tell\n// leak: 1 KiB per request\n',
    /expects and accepts growth only/,
  );
  bad(
    '// what: x\n// behaviour: slow\n// expect: growth\n// accept: growth\n// leak: 1 MiB per hour\n',
    /leak: expected "N KiB per/,
  );
  bad('// what: x\n// behaviour: pool\n// expect: fine\n// accept: fine\n', /expect: "fine" is no class/);
});

function run(p: Partial<RunRecord> & Pick<RunRecord, 'server' | 'got'>): RunRecord {
  const leaks = p.leak !== undefined;
  return {
    runtime: 'go',
    behaviour: leaks ? 'heap per request' : 'stable',
    expect: leaks ? 'growth' : 'stable',
    accept: leaks ? ['growth'] : ['stable', 'bounded'],
    run: 1,
    exitCode: p.got === 'growth' ? 4 : 0,
    summary: 's',
    evidence: 'e',
    wallS: 100,
    ...p,
  };
}

const RUNS: RunRecord[] = [
  run({ server: 'leak-1k', leak: { amount: 1, unit: 'KiB', per: 'request' }, got: 'growth' }),
  run({ server: 'leak-1k', leak: { amount: 1, unit: 'KiB', per: 'request' }, got: 'growth', run: 2 }),
  run({ server: 'leak-half', leak: { amount: 0.5, unit: 'KiB', per: 'request' }, got: 'cannot-tell' }),
  run({ server: 'leak-half', leak: { amount: 0.5, unit: 'KiB', per: 'request' }, got: 'growth', run: 2 }),
  run({
    server: 'slow',
    leak: { amount: 16, unit: 'KiB', per: 'minute' },
    got: 'stable',
    runtime: 'c',
    behaviour: 'slow',
  }),
  run({ server: 'cache', got: 'bounded', behaviour: 'cache early', expect: 'bounded', runtime: 'node' }),
  // A false positive: a verdict of growth on a server that does not leak, the gate exiting 4.
  run({ server: 'cache', got: 'growth', behaviour: 'cache early', expect: 'bounded', runtime: 'node', run: 2 }),
  run({ server: 'threads', leak: { amount: 0.02, unit: 'tasks', per: 'request' }, got: 'growth', behaviour: 'tasks' }),
  run({ server: 'quiet', got: 'stable' }),
  run({ server: 'quiet', got: 'failed', exitCode: 1, run: 2 }),
];

test('the confusion matrix counts runs by expected class and class got, per runtime too', () => {
  const m = confusion(RUNS);
  assert.deepEqual(m.growth, { growth: 4, bounded: 0, stable: 1, 'cannot-tell': 1, failed: 0 });
  assert.deepEqual(m.bounded, { growth: 1, bounded: 1, stable: 0, 'cannot-tell': 0, failed: 0 });
  assert.deepEqual(m.stable, { growth: 0, bounded: 0, stable: 1, 'cannot-tell': 0, failed: 1 });
  const total = Object.values(m).reduce((s, row) => s + Object.values(row).reduce((a, b) => a + b, 0), 0);
  assert.equal(total, RUNS.length);
  const byRt = confusionBy(RUNS, (r) => r.runtime);
  assert.deepEqual([...byRt.keys()], ['go', 'c', 'node']);
  assert.equal(byRt.get('c')!.growth.stable, 1);
  assert.equal(byRt.get('node')!.bounded.growth, 1);
});

test('detection, false positives from the exit code, accuracy and the wrong runs', () => {
  assert.deepEqual(detectionRate(RUNS), { hits: 4, of: 6, rate: 4 / 6 });
  assert.deepEqual(falsePositiveRate(RUNS), { hits: 1, of: 4, rate: 0.25 });
  // The gate's rate is what the exit code said, not what the verdict's class implies.
  const noExit = RUNS.map((r) => (r.server === 'cache' && r.run === 2 ? { ...r, exitCode: 0 } : r));
  assert.equal(falsePositiveRate(noExit).hits, 0);
  assert.deepEqual(accuracy(RUNS), { hits: 6, of: 10, rate: 0.6 });
  assert.deepEqual(
    wrongRuns(RUNS).map((r) => `${r.server}/${r.run}`),
    ['leak-half/1', 'slow/1', 'cache/2', 'quiet/2'],
  );
  assert.deepEqual(detectionRate([]), { hits: 0, of: 0 });
  const t = totals(RUNS);
  assert.deepEqual([t.runs, t.servers, t.wallS, t.undecided.hits], [10, 6, 1000, 2]);
});

test('the smallest leak detected: in every run, at least once, and those missed, per unit', () => {
  assert.deepEqual(smallestDetected(RUNS), [
    {
      unit: 'KiB per request',
      smallestAlways: { server: 'leak-1k', amount: 1 },
      smallestOnce: { server: 'leak-half', amount: 0.5 },
      missed: [{ server: 'leak-half', amount: 0.5, detected: 1, runs: 2 }],
    },
    { unit: 'KiB per minute', missed: [{ server: 'slow', amount: 16, detected: 0, runs: 1 }] },
    {
      unit: 'tasks per request',
      smallestAlways: { server: 'threads', amount: 0.02 },
      smallestOnce: { server: 'threads', amount: 0.02 },
      missed: [],
    },
  ]);
});

test('the Markdown lists each wrong verdict with its evidence line', () => {
  const text = renderVerdictBench({
    schema: 'leakbench.bench-verdicts/1',
    date: '2026-12-05',
    quick: false,
    runsPerServer: 2,
    command: 'npm run bench:verdicts',
    soakFlags: ['--preset', 'ci'],
    machine: {
      name: 'm',
      cpus: 2,
      cpuModel: 'cpu',
      memoryGiB: 4,
      kernel: 'k',
      node: 'v20',
      wrk: 'none',
      autocannon: '9',
      loadBefore: [1, 1, 1],
    },
    loadAfter: [1, 1, 1],
    toolchains: { go: 'go1.26' },
    skipped: [],
    runs: RUNS.map((r) =>
      r.server === 'cache' && r.run === 2 ? { ...r, kind: 'heap-growth', evidence: 'live heap +3 MiB | per burst' } : r,
    ),
    wallS: 960,
  });
  assert.match(text, /false positives of `--fail-on growth` \(exit 4 on a server that does not leak\): 25% \(1 of 4\)/);
  assert.match(text, /\*\*cache\*\* run 2: expected stable or bounded, got `heap-growth` \(growth, exit 4\)/);
  assert.match(text, /evidence: live heap \+3 MiB \\\| per burst/);
  assert.match(text, /\| Node\.js, bounded \| 1 \| 1 \| · \| · \| · \|/);
});

test('--reanalyse: a kept run through the analysis as it is now; a run without its directory is left as measured', () => {
  const keep = tempDir('leakbench-reanalyse-');
  const dir = join(keep, 'node-lru-late-1');
  mkdirSync(dir);
  // A corpus run that the analysis of its day called heap-growth (exit 4); bounded since.
  materialise(fileURLToPath(new URL('../fixtures/corpus-runs/node-lru-late-second-rest/', import.meta.url)), dir);
  const measured: RunRecord = {
    server: 'node-lru-late',
    runtime: 'node',
    behaviour: 'cache late',
    expect: 'bounded',
    accept: ['bounded'],
    run: 1,
    kind: 'heap-growth',
    got: 'growth',
    exitCode: 4,
    summary: 'RSS grows with the V8 heap',
    evidence: '',
    wallS: 115,
  };
  const gone: RunRecord = { ...measured, run: 2 };
  const again = reanalyseRuns([measured, gone], keep);
  assert.equal(again.runs[0]!.kind, 'plateau');
  assert.equal(again.runs[0]!.got, 'bounded');
  assert.equal(again.runs[0]!.exitCode, 0, 'what --fail-on growth exits with on a bounded verdict');
  assert.equal(again.runs[0]!.wallS, 115, 'what the soak measured stays');
  assert.deepEqual(again.changed, ['node-lru-late-1: heap-growth -> plateau']);
  assert.deepEqual(again.runs[1], gone);
  assert.deepEqual(again.missing, ['node-lru-late-2']);
});
