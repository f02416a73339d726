import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdjsonWriter, readNdjson } from '../../src/rundir/ndjson.ts';
import { SCHEMA, type Sample } from '../../src/rundir/schema.ts';
import { LeakbenchError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'leakbench-ndjson-'));

test('writes a header and one line per record, and reads them back', () => {
  const path = join(dir, 'a.ndjson');
  const w = new NdjsonWriter<Sample>(path, { schema: SCHEMA.samples, startedAtMs: 1000 });
  w.write({ t: 0, vmRss: 1 });
  w.write({ t: 1 });
  w.close();
  const r = readNdjson<Sample>(path, SCHEMA.samples);
  assert.equal(r.header.startedAtMs, 1000);
  assert.deepEqual(r.records, [{ t: 0, vmRss: 1 }, { t: 1 }]);
  assert.deepEqual(r.warnings, []);
});

test('a cut-short last line is a warning, not an error', () => {
  const path = join(dir, 'b.ndjson');
  writeFileSync(path, JSON.stringify({ schema: SCHEMA.samples, startedAtMs: 0 }) + '\n{"t":0}\n{"t":1,"vm');
  const r = readNdjson<Sample>(path, SCHEMA.samples);
  assert.equal(r.records.length, 1);
  assert.match(r.warnings[0]!, /b\.ndjson:3: last line is cut short/);
});

test('a bad line in the middle names the file and line', () => {
  const path = join(dir, 'c.ndjson');
  writeFileSync(path, JSON.stringify({ schema: SCHEMA.samples, startedAtMs: 0 }) + '\n{"t":0}\nnope\n');
  appendFileSync(path, '{"t":2}\n');
  assert.throws(
    () => readNdjson(path, SCHEMA.samples),
    (e: unknown) => e instanceof LeakbenchError && /c\.ndjson:3: not valid JSON/.test(e.message),
  );
});

test('another schema version is refused with the version named', () => {
  const path = join(dir, 'd.ndjson');
  writeFileSync(path, JSON.stringify({ schema: 'leakbench.samples/9', startedAtMs: 0 }) + '\n');
  assert.throws(() => readNdjson(path, SCHEMA.samples), /schema leakbench\.samples\/9 is not supported/);
});

test('samples/1 and /2 (before the live heap, before runtime sources) still read as samples/3; samples/3 is what is written', () => {
  assert.equal(SCHEMA.samples, 'leakbench.samples/3');
  const path = join(dir, 'e.ndjson');
  writeFileSync(path, JSON.stringify({ schema: 'leakbench.samples/1', startedAtMs: 0 }) + '\n{"t":1,"vmRss":5}\n');
  assert.deepEqual(readNdjson(path, SCHEMA.samples).records, [{ t: 1, vmRss: 5 }]);
  writeFileSync(path, JSON.stringify({ schema: 'leakbench.samples/2', startedAtMs: 0 }) + '\n{"t":1,"liveHeap":7}\n');
  assert.deepEqual(readNdjson(path, SCHEMA.samples).records, [{ t: 1, liveHeap: 7 }]);
  writeFileSync(path, JSON.stringify({ schema: 'leakbench.probes/1', startedAtMs: 0 }) + '\n');
  assert.throws(() => readNdjson(path, SCHEMA.samples), /expected schema "leakbench\.samples\/3"/);
});
