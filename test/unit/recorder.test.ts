import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeakbenchError, UsageError } from '../../src/errors.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { createRunDir, recordRun, RunRecorder, runDirName, timestamp, writeOutput } from '../../src/rundir/recorder.ts';
import { FILES, SCHEMA, type RunFile } from '../../src/rundir/schema.ts';
import { baseRunFile, tempDir } from '../helpers/synthetic-run.ts';

const run = (): RunFile => baseRunFile({ status: 'running' });

test('directory names: <parts>-<UTC timestamp>, and a stored run is never overwritten', () => {
  const at = new Date(Date.UTC(2026, 10, 26, 10, 0, 0, 123));
  assert.equal(timestamp(at), '2026-11-26T10-00-00Z');
  assert.equal(runDirName(['burst', 'race'], at), 'burst-race-2026-11-26T10-00-00Z');
  const out = tempDir('leakbench-rec-');
  const dir = createRunDir(out, 'a');
  assert.ok(existsSync(dir));
  assert.throws(
    () => createRunDir(out, 'a'),
    (e: unknown) => e instanceof UsageError && /--name: .*already exists/.test(e.message),
  );
  writeFileSync(join(out, 'file'), '');
  assert.throws(
    () => createRunDir(join(out, 'file'), 'b'),
    (e: unknown) => e instanceof UsageError && /^--out: cannot create/.test(e.message),
  );
});

test('a live recording: run.json saved at once, series with schema headers, artifacts listed, readable by read-run', () => {
  const rec = RunRecorder.create(tempDir('leakbench-rec-'), 'live', run());
  assert.equal(JSON.parse(readFileSync(join(rec.dir, FILES.run), 'utf8')).status, 'running');
  const samples = rec.series('samples');
  samples.write({ t: 0, vmRss: 1000 });
  samples.write({ t: 1, vmRss: 2000 });
  rec.series('events').write({ t: 0, type: 'run-start', message: 'go' });
  rec.writeSeries('load', [{ phase: 'burst', t: 1, completed: 5, errors: 0, timeouts: 0, non2xx: 0 }]);
  const first = rec.nextArtifact('smapsSnapshots', 'start');
  const skipped = rec.nextArtifact('smapsSnapshots', 'after-burst');
  const last = rec.nextArtifact('smapsSnapshots', 'end');
  assert.deepEqual([first, skipped, last], ['smaps/01-start.txt', 'smaps/02-after-burst.txt', 'smaps/03-end.txt']);
  rec.saveArtifact(
    'smapsSnapshots',
    { label: 'start', t: 0, file: first },
    '00400000-00401000 r-xp 00000000 00:00 0\nRss: 4 kB\n',
  );
  const profile = rec.nextArtifact('heapProfiles', 'start');
  assert.equal(profile, 'pprof/heap-start.pb.gz');
  rec.saveArtifact('heapProfiles', { label: 'start', t: 0, file: profile }, Buffer.from([0x1f, 0x8b]));
  rec.run.status = 'completed';
  rec.saveRun();
  rec.close();

  const header = JSON.parse(readFileSync(join(rec.dir, FILES.samples), 'utf8').split('\n')[0]!);
  assert.deepEqual(header, { schema: SCHEMA.samples, startedAtMs: rec.run.startedAtMs });
  const data = readRunDir(rec.dir);
  assert.equal(data.run.status, 'completed');
  assert.deepEqual(
    data.samples.map((s) => s.vmRss),
    [1000, 2000],
  );
  assert.equal(data.load[0]?.completed, 5);
  assert.equal(data.events[0]?.type, 'run-start');
  assert.deepEqual(data.run.smapsSnapshots, [{ label: 'start', t: 0, file: 'smaps/01-start.txt' }]);
  assert.deepEqual(data.run.heapProfiles, [{ label: 'start', t: 0, file: 'pprof/heap-start.pb.gz' }]);
  assert.equal(data.smaps?.[0]?.text.includes('Rss: 4 kB'), true);
  assert.equal(rec.path(FILES.targetLog), join(rec.dir, 'target.log'));
});

test('without onWriteFailure a failed write throws; with it, the first failure is reported once and later writes are dropped', () => {
  const rec = RunRecorder.create(tempDir('leakbench-rec-'), 'throws', run());
  // A directory where the artifact's folder should be: the write fails whoever we are.
  writeFileSync(join(rec.dir, 'smaps'), '');
  assert.throws(
    () => rec.saveArtifact('smapsSnapshots', { label: 'x', t: 0, file: 'smaps/01-x.txt' }, 'x'),
    (e: unknown) => e instanceof LeakbenchError && /cannot write .*smaps\/01-x\.txt/.test(e.message),
  );
  assert.equal(rec.run.smapsSnapshots, undefined, 'an artifact that was not written is not listed');

  const failures: string[] = [];
  const guarded = RunRecorder.create(tempDir('leakbench-rec-'), 'guarded', run(), {
    onWriteFailure: (err) => failures.push(err.message),
  });
  // A directory in place of probes.ndjson: opening it for appending fails.
  mkdirSync(join(guarded.dir, FILES.probes));
  const probes = guarded.series('probes');
  probes.write({ phase: 'idle', seq: 1, scheduledT: 0, sentT: 0 });
  const samples = guarded.series('samples');
  samples.write({ t: 0, vmRss: 1 });
  assert.equal(failures.length, 1, failures.join('\n'));
  assert.match(failures[0]!, /cannot write .*probes\.ndjson/);
  assert.equal(guarded.failure?.message, failures[0]);
  guarded.close();
  // run.json is still attempted after a failure: how the run ended is worth a last try.
  guarded.run.status = 'failed';
  guarded.saveRun();
  assert.equal(JSON.parse(readFileSync(join(guarded.dir, FILES.run), 'utf8')).status, 'failed');
});

test('recordRun writes a run assembled in memory; writeOutput writes JSON atomically and text as is', () => {
  const out = tempDir('leakbench-rec-');
  const dir = recordRun(out, 'batch', baseRunFile(), {
    load: [{ phase: 'burst', t: 1, completed: 3, errors: 0, timeouts: 0, non2xx: 0 }],
    events: [{ t: 0, type: 'run-start' }],
    prometheus: [{ t: 0, cgroupMemory: 5 }],
  });
  const data = readRunDir(dir);
  assert.equal(data.load.length, 1);
  assert.deepEqual(data.prometheus, [{ t: 0, cgroupMemory: 5 }]);
  assert.equal(existsSync(join(dir, FILES.samples)), false, 'a series not given is not written');
  assert.throws(() => recordRun(out, 'batch', baseRunFile(), {}), UsageError);

  const json = writeOutput(dir, 'x.json', { a: 1 });
  assert.equal(readFileSync(json, 'utf8'), '{\n  "a": 1\n}\n');
  assert.equal(existsSync(`${json}.tmp`), false);
  assert.equal(readFileSync(writeOutput(dir, 'x.md', '# x\n'), 'utf8'), '# x\n');
  assert.throws(
    () => writeOutput(join(dir, 'no-such-dir'), 'y.md', 'y'),
    (e: unknown) => e instanceof LeakbenchError && /cannot write .*no-such-dir\/y\.md/.test(e.message),
  );
});
