/**
 * HotSpot's hsperfdata file read with no JDK: a real file captured from a JDK 17 (G1) running
 * test/fixtures/jvm-plain/Server.java after a GC.run and a class histogram, checked against
 * `jstat -gc` of the same process at the same moment (jdk17-g1-server.jstat-gc.txt, in KiB).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { counter, parsePerfData, PerfDataFormatError } from '../../src/sample/runtime/hsperfdata-format.ts';
import { findPerfDataFile, hsFigures, hsPerfDataProbe } from '../../src/sample/runtime/hsperfdata.ts';
import { parseNsPid } from '../../src/sample/runtime/proc-namespace.ts';
import { isUnavailable } from '../../src/sample/runtime/source.ts';

const dir = join(REPO_ROOT, 'test', 'fixtures', 'hsperfdata');
const file = readFileSync(join(dir, 'jdk17-g1-server.hsperfdata'));

function jstat(): Record<string, number> {
  const [head, values] = readFileSync(join(dir, 'jdk17-g1-server.jstat-gc.txt'), 'utf8').trim().split('\n');
  const keys = head!.trim().split(/\s+/);
  const nums = values!.trim().split(/\s+/).map(Number);
  return Object.fromEntries(keys.map((k, i) => [k, nums[i]!]));
}

test('the real JDK 17 file: version 2, little-endian, every entry named', () => {
  const data = parsePerfData(file);
  assert.equal(data.majorVersion, 2);
  assert.equal(data.accessible, true);
  assert.equal(data.entries.size, 187);
  assert.equal(data.entries.get('sun.gc.collector.0.name'), 'G1 young collection pauses');
  assert.equal(data.entries.get('java.property.java.vm.version'), '17.0.15+6-Debian-1deb12u1');
});

test('figures agree with jstat -gc of the same process (KiB with one decimal)', () => {
  const j = jstat();
  const f = hsFigures(parsePerfData(file));
  const kib = (bytes: number | undefined): number => Math.round(((bytes ?? NaN) / 1024) * 10) / 10;
  assert.equal(kib(f.hsHeapUsed), Math.round((j.S0U! + j.S1U! + j.EU! + j.OU!) * 10) / 10);
  // jstat sums the spaces' capacities; the generations' own add G1's 8-byte markers.
  assert.ok(Math.abs(kib(f.hsHeapCommitted) - (j.S0C! + j.S1C! + j.EC! + j.OC!)) < 0.1);
  assert.equal(kib(f.hsOldUsed), j.OU);
  assert.equal(kib(f.hsMetaspaceUsed), j.MU);
  assert.equal(f.hsFullGcs, j.FGC);
  assert.equal(f.hsGcs, j.YGC! + j.FGC! + j.CGC!);
  assert.equal(f.hsThreads, 9);
});

/** A minimal file in either byte order: the prologue and scalar/string entries, as HotSpot lays them out. */
function synthetic(le: boolean, entries: [string, bigint | string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of entries) {
    const nameBytes = Buffer.from(`${name}\0`);
    const data = typeof value === 'bigint' ? Buffer.alloc(8) : Buffer.from(`${value}\0\0\0`);
    if (typeof value === 'bigint' && le) data.writeBigInt64LE(value);
    else if (typeof value === 'bigint') data.writeBigInt64BE(value);
    const nameOff = 20;
    const dataOff = Math.ceil((nameOff + nameBytes.length) / 8) * 8;
    const len = dataOff + data.length;
    const e = Buffer.alloc(len);
    const w = (v: number, at: number): number => (le ? e.writeInt32LE(v, at) : e.writeInt32BE(v, at));
    w(len, 0);
    w(nameOff, 4);
    w(typeof value === 'bigint' ? 0 : data.length, 8);
    e.writeUInt8((typeof value === 'bigint' ? 'J' : 'B').charCodeAt(0), 12);
    w(dataOff, 16);
    nameBytes.copy(e, nameOff);
    data.copy(e, dataOff);
    parts.push(e);
  }
  const body = Buffer.concat(parts);
  const p = Buffer.alloc(32);
  p.writeUInt32BE(0xcafec0c0, 0);
  p.writeUInt8(le ? 1 : 0, 4);
  p.writeUInt8(2, 5);
  p.writeUInt8(1, 7);
  const w = (v: number, at: number): number => (le ? p.writeInt32LE(v, at) : p.writeInt32BE(v, at));
  w(32 + body.length, 8);
  w(32, 24);
  w(entries.length, 28);
  return Buffer.concat([p, body]);
}

test('big-endian files (the byte order field) read the same as little-endian ones', () => {
  const entries: [string, bigint | string][] = [
    ['sun.gc.generation.0.name', 'young'],
    ['sun.gc.generation.0.capacity', 3000n],
    ['sun.gc.generation.0.space.0.used', 1000n],
    ['sun.gc.generation.1.name', 'old'],
    ['sun.gc.generation.1.capacity', 9000n],
    ['sun.gc.generation.1.space.0.used', 5000n],
    ['sun.gc.generation.2.name', 'perm'],
    ['sun.gc.generation.2.capacity', 7n],
    ['sun.gc.generation.2.space.0.used', 7n],
    ['sun.gc.collector.0.invocations', 12n],
    ['sun.gc.collector.1.invocations', 2n],
    ['java.threads.live', 11n],
  ];
  for (const le of [true, false]) {
    const data = parsePerfData(synthetic(le, entries));
    assert.equal(counter(data, 'sun.gc.generation.1.capacity'), 9000);
    assert.deepEqual(hsFigures(data), {
      hsHeapUsed: 6000,
      hsHeapCommitted: 12000,
      hsOldUsed: 5000,
      hsGcs: 14,
      hsFullGcs: 2,
      hsThreads: 11,
    });
  }
});

test('not an hsperfdata file, or a truncated one: a format error that says what was found', () => {
  assert.throws(() => parsePerfData(Buffer.from('hello world, this is not a perf data file')), /magic 0x68656c6c/);
  assert.throws(() => parsePerfData(file.subarray(0, 10)), PerfDataFormatError);
  const cut = Buffer.from(file.subarray(0, 4000));
  assert.throws(() => parsePerfData(cut), /runs past|has length/);
});

test('NSpid: the innermost pid names the file; absent before Linux 4.1', () => {
  assert.deepEqual(parseNsPid('Name:\tjava\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t48211\t7\n', 48211), {
    nsPid: 7,
    uid: 1000,
  });
  assert.deepEqual(parseNsPid('Name:\tjava\n', 42), { nsPid: 42 });
});

/** A /proc stand-in: the target's status, cmdline and root/tmp. */
function fakeProc(pid: number, nsPid: number, args: string[], withFile: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'lb-hsperf-'));
  mkdirSync(join(root, String(pid), 'root', 'tmp', 'hsperfdata_app'), { recursive: true });
  writeFileSync(join(root, String(pid), 'status'), `Name:\tjava\nUid:\t0\t0\t0\t0\nNSpid:\t${pid}\t${nsPid}\n`);
  writeFileSync(join(root, String(pid), 'cmdline'), args.join('\0') + '\0');
  if (withFile) writeFileSync(join(root, String(pid), 'root', 'tmp', 'hsperfdata_app', String(nsPid)), file);
  return root;
}

test('a JVM in another pid namespace: its file is found by its own pid under /proc/PID/root/tmp', async () => {
  const root = fakeProc(48211, 7, ['java', 'Server.java'], true);
  try {
    assert.equal(findPerfDataFile(48211, root), join(root, '48211', 'root', 'tmp', 'hsperfdata_app', '7'));
    const source = await hsPerfDataProbe(root).open({ pid: 48211, runtime: 'jvm', launched: false });
    assert.ok(!isUnavailable(source));
    assert.equal((await source.read()).hsFullGcs, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-XX:-UsePerfData: unavailable, saying so', async () => {
  const root = fakeProc(500, 500, ['java', '-XX:-UsePerfData', 'Server.java'], false);
  try {
    const res = await hsPerfDataProbe(root).open({ pid: 500, runtime: 'jvm', launched: true });
    assert.deepEqual(res, { unavailable: 'no hsperfdata file: the JVM runs with -XX:-UsePerfData' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
