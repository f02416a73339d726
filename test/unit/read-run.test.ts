import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LeakbenchError } from '../../src/errors.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { FILES, SCHEMA } from '../../src/rundir/schema.ts';
import { leakingBurstRun, MiB, STARTED_AT_MS, tempDir, writeSyntheticRun } from '../helpers/synthetic-run.ts';

function badRunDir(pattern: RegExp) {
  return (e: unknown): boolean =>
    e instanceof LeakbenchError && e.exitCode === ExitCode.badRunDir && pattern.test(e.message);
}

const header = (schema: string): string => JSON.stringify({ schema, startedAtMs: STARTED_AT_MS }) + '\n';

test('reads every file of a run directory, in time order', () => {
  const data = readRunDir(writeSyntheticRun(leakingBurstRun()));
  assert.equal(data.run.scenario, 'burst');
  assert.equal(data.samples.length, 101);
  assert.equal(data.samples[100]!.vmRss, 280 * MiB);
  assert.equal(data.samplesHeader?.startedAtMs, STARTED_AT_MS);
  assert.equal(data.load.length, 90);
  assert.deepEqual(data.probes, []);
  assert.equal(data.events.length, 6);
  assert.deepEqual(data.warnings, []);
});

test('a missing run.json is an error naming the file', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  rmSync(join(dir, FILES.run));
  assert.throws(() => readRunDir(dir), badRunDir(/run\.json: file is missing/));
});

test('a run.json without the fields the report needs names the field', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  writeFileSync(
    join(dir, FILES.run),
    JSON.stringify({
      schema: SCHEMA.run,
      scenario: 'burst',
      status: 'completed',
      startedAtMs: 0,
      versions: {},
      phases: [],
    }),
  );
  assert.throws(() => readRunDir(dir), badRunDir(/run\.json: field "target\.label"/));
});

test('a directory that does not exist is an error, not a crash', () => {
  assert.throws(() => readRunDir(join(tempDir(), 'nope')), badRunDir(/not a run directory/));
});

test('a corrupt line in the middle names the file and line', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  writeFileSync(
    join(dir, FILES.samples),
    header(SCHEMA.samples) + '{"t":0,"vmRss":1}\n{"t":1,"vmR\n{"t":2,"vmRss":3}\n',
  );
  assert.throws(() => readRunDir(dir), badRunDir(/samples\.ndjson:3: not valid JSON/));
});

test('a truncated last line (a run killed mid-write) is a warning, the rest is kept', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  appendFileSync(join(dir, FILES.samples), '{"t":101,"vmRss":29');
  const data = readRunDir(dir);
  assert.equal(data.samples.length, 101);
  assert.equal(data.warnings.length, 1);
  assert.match(data.warnings[0]!, /samples\.ndjson:103: last line is cut short/);
});

test('missing series files are warnings naming them; a missing probes file is not', () => {
  const spec = leakingBurstRun();
  const data = readRunDir(writeSyntheticRun({ ...spec, samples: null, load: null, events: null, probes: null }));
  assert.deepEqual(data.samples, []);
  assert.equal(data.samplesHeader, undefined);
  assert.deepEqual(data.load, []);
  assert.deepEqual(data.events, []);
  assert.equal(data.warnings.length, 3);
  assert.match(data.warnings[0]!, /^samples\.ndjson is missing/);
  assert.match(data.warnings[1]!, /^load\.ndjson is missing/);
  assert.match(data.warnings[2]!, /^events\.ndjson is missing/);
});

test('records of the wrong shape are dropped with a warning; non-numeric figures become absent', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  writeFileSync(
    join(dir, FILES.samples),
    header(SCHEMA.samples) + '{"t":0,"vmRss":5,"pss":null,"heapInuse":"7"}\n[1,2]\n{"vmRss":3}\n{"t":1,"vmRss":6}\n',
  );
  const data = readRunDir(dir);
  assert.deepEqual(data.samples, [
    { t: 0, vmRss: 5 },
    { t: 1, vmRss: 6 },
  ]);
  assert.deepEqual(data.warnings, ['samples.ndjson: 2 records without the expected fields ignored']);
});

test('a file of another schema is refused', () => {
  const dir = writeSyntheticRun(leakingBurstRun());
  writeFileSync(join(dir, FILES.load), header(SCHEMA.samples));
  assert.throws(() => readRunDir(dir), badRunDir(/load\.ndjson: expected schema "leakbench\.load\/1"/));
});
