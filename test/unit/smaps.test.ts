import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  classify,
  detectLayout,
  diffSmaps,
  parseSmaps,
  smapsReport,
  totalsByKind,
  type MappingKind,
  type SmapsSnapshot,
} from '../../src/analyse/smaps.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { leakingBurstRun, MiB, writeSyntheticRun } from '../helpers/synthetic-run.ts';

/**
 * Fixtures: /proc/PID/smaps of the bundled race build (go1.26.8, gin v1.9.1) right after it
 * answered, and after 50,000 requests over 50 keep-alive connections (autocannon); VmRSS went
 * from 42,964 kB to 153,048 kB meanwhile. And a plain build of the same server after a soak,
 * whose heap Go 1.26 placed at a random address.
 */
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const RACE_START = fixture('smaps-race-start.txt');
const RACE_50K = fixture('smaps-race-after-50k.txt');
const PLAIN = fixture('smaps-plain-go126.txt');

const headerLines = (text: string): number => text.split('\n').filter((l) => /^[0-9a-f]+-[0-9a-f]+ /.test(l)).length;

test('parses every mapping with its header fields and sizes in bytes', () => {
  const maps = parseSmaps(RACE_50K);
  assert.equal(maps.length, headerLines(RACE_50K));
  assert.equal(maps.length, 99);
  const text = maps[0]!;
  assert.equal(text.range, '00400000-00f0d000');
  assert.equal(text.start, 0x400000);
  assert.equal(text.end, 0xf0d000);
  assert.equal(text.perms, 'r-xp');
  assert.equal(text.offset, '00000000');
  assert.equal(text.dev, 'fe:00');
  assert.equal(text.inode, 9978261);
  assert.match(text.pathname, /gin-health-check-race-[0-9a-f]+\/health-check$/);
  assert.equal(text.kind, 'file');
  assert.equal(text.size, 11316 * 1024);
  assert.equal(text.rss, 8368 * 1024);
  assert.equal(text.pss, 4184 * 1024);
  assert.equal(text.anonymous, 0);
  assert.equal(text.fields.Shared_Clean, 8368 * 1024);
  // THPeligible has no unit: kept as the number it is.
  assert.equal(text.fields.THPeligible, 0);
  // Summed Rss matches the kernel's own total within a few pages (the snapshot is not atomic).
  const total = maps.reduce((s, m) => s + m.rss, 0);
  assert.ok(Math.abs(total - 153_048 * 1024) < 4 * MiB, `total ${total}`);
});

test('the race build is recognised by its layout, and each address range gets its kind', () => {
  const maps = parseSmaps(RACE_50K);
  assert.equal(detectLayout(maps), 'race');
  const kindOf = (range: string): MappingKind | undefined => maps.find((m) => m.range === range)?.kind;
  assert.equal(kindOf('c000000000-c000c00000'), 'go-heap');
  assert.equal(kindOf('218000000000-218008000000'), 'race-shadow');
  assert.equal(kindOf('306000000000-306002000000'), 'race-meta-shadow');
  assert.equal(kindOf('7f607c920000-7f607e500000'), 'anonymous');
  assert.equal(kindOf('0b407000-0b428000'), 'anonymous'); // [heap]: C malloc
  assert.equal(kindOf('7ffd68e66000-7ffd68e87000'), 'stack');
  assert.equal(kindOf('7f60d7467000-7f60d7469000'), 'kernel'); // [vdso]
  assert.equal(kindOf('ffffffffff600000-ffffffffff601000'), 'kernel'); // [vsyscall]
  assert.equal(kindOf('7f60d7274000-7f60d729a000'), 'file'); // libc
});

test('a plain Go 1.26 build: its heap at a random address in the race shadow range is still the Go heap', () => {
  const maps = parseSmaps(PLAIN);
  assert.equal(detectLayout(maps), 'go');
  const heap = maps.filter((m) => m.kind === 'go-heap');
  assert.deepEqual(
    heap.map((m) => m.range),
    ['2025c4000000-2025c5c00000', '2025c5c00000-2025c6c00000', '2025c6c00000-2025c8000000'],
  );
  assert.equal(
    maps.some((m) => m.kind === 'race-shadow' || m.kind === 'race-meta-shadow'),
    false,
  );
  // Forcing the race layout shows why detection matters: the heap would read as shadow.
  assert.equal(parseSmaps(PLAIN, 'race').find((m) => m.range.startsWith('2025c4'))?.kind, 'race-shadow');
});

test('classify: pseudo-files first, then addresses per layout', () => {
  assert.equal(classify(0x7ffd00000000, '[stack]', 'go'), 'stack');
  assert.equal(classify(0x7ffd00000000, '[stack:1234]', 'race'), 'stack');
  assert.equal(classify(0x1000000, '[heap]', 'race'), 'anonymous');
  assert.equal(classify(0x7f0000000000, '[anon:tsan]', 'go'), 'anonymous');
  assert.equal(classify(0x7f0000000000, '/memfd:x (deleted)', 'go'), 'file');
  assert.equal(classify(0xc000000000, '', 'go'), 'go-heap');
  assert.equal(classify(0xdfffffffff, '', 'race'), 'go-heap');
  assert.equal(classify(0xe000000000, '', 'race'), 'anonymous');
  assert.equal(classify(0x21bfffffffff, '', 'race'), 'race-shadow');
  assert.equal(classify(0x3fffffffffff, '', 'race'), 'race-meta-shadow');
  assert.equal(classify(0x7f607c920000, '', 'race'), 'anonymous');
  assert.equal(classify(0x7f607c920000, '', 'go'), 'anonymous');
  assert.equal(classify(0x1765000, '', 'go'), 'anonymous'); // the binary's bss, below 4 GiB
});

test('diff of the race build before and after 50k requests: the growth is outside the Go heap arena', () => {
  const d = diffSmaps(parseSmaps(RACE_START), parseSmaps(RACE_50K));
  assert.ok(d.rssChange > 100 * MiB && d.rssChange < 115 * MiB, `change ${d.rssChange}`);
  const byKind = Object.fromEntries(d.kinds.map((k) => [k.kind, k]));
  // Most of it in other anonymous memory: tsan's allocator, in new regions near 0x7f...
  assert.equal(d.kinds[0]!.kind, 'anonymous');
  assert.ok(byKind.anonymous!.rssChange > 0.8 * d.rssChange, `anonymous ${byKind.anonymous!.rssChange}`);
  assert.ok(byKind['race-shadow']!.rssChange > 8 * MiB);
  assert.ok(byKind['race-meta-shadow']!.rssChange > 1 * MiB);
  // The Go heap arena carries under 5% of it.
  assert.ok(byKind['go-heap']!.rssChange < 0.05 * d.rssChange, `go heap ${byKind['go-heap']!.rssChange}`);
  assert.equal(byKind.anonymous!.mappingsBefore, 43);
  assert.equal(byKind.anonymous!.mappingsAfter, 75);
  assert.ok(d.newMappings >= 30, `new ${d.newMappings}`);
  assert.ok(d.newMappingsRss > 90 * MiB);
  // The top mappings are new anonymous regions; the shadow of the heap grew in place.
  assert.equal(d.topMappings[0]!.range, '7f607c920000-7f607e500000');
  assert.equal(d.topMappings[0]!.status, 'new');
  assert.equal(d.topMappings[0]!.kind, 'anonymous');
  const shadow = d.topMappings.find((m) => m.range === '218000000000-218008000000');
  assert.equal(shadow?.status, 'grew');
  assert.ok(d.topMappings.length <= 10);
  for (let i = 1; i < d.topMappings.length; i++)
    assert.ok(d.topMappings[i - 1]!.rssChange >= d.topMappings[i]!.rssChange);
  // Per-kind totals add up to the whole.
  assert.equal(
    d.kinds.reduce((s, k) => s + k.rssChange, 0),
    d.rssChange,
  );
});

test('mappings are matched by start and kind; new and removed ones are counted', () => {
  const a =
    'c000000000-c000400000 rw-p 00000000 00:00 0 \nRss: 4096 kB\n7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \nRss: 1024 kB\n';
  const b =
    'c000000000-c000800000 rw-p 00000000 00:00 0 \nRss: 8192 kB\n7f0000200000-7f0000300000 rw-p 00000000 00:00 0 \nRss: 1024 kB\n';
  const d = diffSmaps(parseSmaps(a, 'go'), parseSmaps(b, 'go'));
  assert.deepEqual(
    d.topMappings.map((m) => [m.range, m.status, m.rssChange]),
    [
      ['c000000000-c000800000', 'grew', 4 * MiB],
      ['7f0000200000-7f0000300000', 'new', 1 * MiB],
    ],
  );
  assert.equal(d.newMappings, 1);
  assert.equal(d.removedMappings, 1);
  assert.equal(d.rssChange, 4 * MiB);
  assert.deepEqual(
    totalsByKind(parseSmaps(b, 'go')).map((t) => [t.kind, t.mappings, t.rss]),
    [
      ['go-heap', 1, 8 * MiB],
      ['anonymous', 1, 1 * MiB],
    ],
  );
  // Garbage is no mapping, not a crash.
  assert.deepEqual(parseSmaps('not smaps\n\nRss: 12 kB\n'), []);
});

test('smapsReport: first vs last, consecutive steps, and nothing compared across a restart', () => {
  const snap = (label: string, t: number, text: string): SmapsSnapshot => ({
    label,
    t,
    file: `smaps/${label}.txt`,
    text,
  });
  const three = smapsReport([snap('start', 1, RACE_START), snap('mid', 50, RACE_START), snap('end', 100, RACE_50K)])!;
  assert.equal(three.from.label, 'start');
  assert.equal(three.to.label, 'end');
  assert.equal(three.steps.length, 2);
  assert.equal(three.steps[0]!.rssChange, 0);
  assert.ok(three.steps[1]!.rssChange > 100 * MiB);
  assert.equal(three.steps[1]!.kinds[0]!.kind, 'anonymous');
  // Two snapshots: no steps table (it would repeat the overall one).
  assert.equal(smapsReport([snap('start', 1, RACE_START), snap('end', 100, RACE_50K)])!.steps.length, 0);
  // A restart at t=60: only the snapshots of the last process are compared.
  const restarted = smapsReport(
    [snap('start', 1, RACE_50K), snap('after-restart', 70, RACE_START), snap('end', 100, RACE_50K)],
    [60],
  )!;
  assert.equal(restarted.from.label, 'after-restart');
  assert.ok(
    restarted.notes.some((n) => /1 snapshot\(s\) taken before the target restarted at t=60 s are left out/.test(n)),
  );
  assert.equal(smapsReport([snap('start', 1, RACE_50K), snap('end', 100, RACE_START)], [60]), undefined);
  // An empty snapshot is left out with a note.
  const empty = smapsReport([snap('start', 1, ''), snap('a', 2, RACE_START), snap('b', 3, RACE_50K)])!;
  assert.equal(empty.from.label, 'a');
  assert.ok(empty.notes.some((n) => /smaps\/start\.txt has no mappings/.test(n)));
});

test('readRunDir loads the listed snapshots (plain or gzipped); a missing one is a warning naming it', () => {
  const spec = leakingBurstRun();
  spec.run.smapsSnapshots = [
    { label: 'start', t: 0.5, file: 'smaps/01-start.txt' },
    { label: 'after-burst', t: 95, file: 'smaps/02-after-burst.txt.gz' },
    { label: 'end', t: 100, file: 'smaps/03-end.txt' },
    { label: 'escape', t: 100, file: '../../etc/passwd' },
  ];
  const dir = writeSyntheticRun(spec);
  mkdirSync(join(dir, 'smaps'));
  copyFileSync(new URL('../fixtures/smaps-race-start.txt', import.meta.url), join(dir, 'smaps/01-start.txt'));
  writeFileSync(join(dir, 'smaps/02-after-burst.txt.gz'), gzipSync(RACE_50K));
  const data = readRunDir(dir);
  assert.deepEqual(
    data.smaps?.map((s) => [s.label, s.t, s.file, s.text.length]),
    [
      ['start', 0.5, 'smaps/01-start.txt', RACE_START.length],
      ['after-burst', 95, 'smaps/02-after-burst.txt.gz', RACE_50K.length],
    ],
  );
  assert.deepEqual(data.warnings, [
    'smaps snapshot "end" (smaps/03-end.txt) is missing, so it is left out of "where it grew"',
    'run.json: smaps snapshot "escape" points outside the run directory (../../etc/passwd); ignored',
  ]);
  // A run without snapshots reads as before: no warnings, nothing loaded.
  const plain = readRunDir(writeSyntheticRun(leakingBurstRun()));
  assert.deepEqual(plain.smaps, []);
  assert.deepEqual(plain.warnings, []);
});
