/**
 * The JVM source's sites() over the attach protocol, against a UNIX socket standing in for the
 * JVM's listener in a fake /proc (the real JVM is in test/integration/alloc-sites-node-jvm.test.ts):
 * a histogram answered, a failure code, a peer that closes without answering (a refusal, not
 * asked again), and a JVM that takes too long (a timeout, which is not a refusal).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HsPerfDataSource } from '../../src/sample/runtime/hsperfdata.ts';
import { AttachRefused, AttachTimeout, HotSpotAttach } from '../../src/sample/runtime/hotspot-attach.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import type { SitesProfile, Unavailable } from '../../src/sample/runtime/source.ts';

const HISTOGRAM = readFileSync(
  join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites', 'jdk17-inspectheap-live-trimmed.histo.txt'),
  'utf8',
);

/** A fake /proc/4242 (nspid 1) whose attach socket answers each request with `reply`. */
async function fakeJvm(
  reply: (request: string, c: Socket) => void,
): Promise<{ root: string; requests: string[]; server: Server; done: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'lb-sites-'));
  mkdirSync(join(root, '4242', 'root', 'tmp'), { recursive: true });
  writeFileSync(join(root, '4242', 'status'), 'Name:\tjava\nUid:\t0\t0\t0\t0\nNSpid:\t4242\t1\nSigCgt:\t4\n');
  writeFileSync(join(root, '4242', 'cmdline'), 'java\0Server\0');
  const requests: string[] = [];
  // Half-open, as the JVM: the request's end is not the answer's.
  const server = createServer({ allowHalfOpen: true }, (c) => {
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.split('\0').length < 6) return;
      requests.push(got);
      reply(got, c);
    });
  });
  await new Promise<void>((r) => server.listen(join(root, '4242', 'root', 'tmp', '.java_pid1'), r));
  return { root, requests, server, done: () => (server.close(), rmSync(root, { recursive: true, force: true })) };
}

function unavailable(p: SitesProfile | Unavailable): string {
  assert.ok('unavailable' in p, 'expected no sites');
  return p.unavailable;
}

test('sites(): inspectheap -live asked, its histogram parsed into class sites and kept as the raw file', async () => {
  const jvm = await fakeJvm((_, c) => c.end(`0\n${HISTOGRAM}`));
  try {
    const p = await new HsPerfDataSource('/nonexistent', 4242, jvm.root).sites();
    assert.ok(!('unavailable' in p));
    assert.deepEqual(jvm.requests, ['1\0inspectheap\0-live\0\0\0']);
    assert.equal(p.origin, 'class-histogram');
    assert.deepEqual(
      p.sites.find((s) => s.site === 'SitesServer$Visit'),
      {
        site: 'SitesServer$Visit',
        kind: 'class',
        bytes: 307200,
        objects: 2400,
      },
    );
    // The whole heap from the Total line: what each class's share of the growth is taken of.
    assert.equal(p.totalBytes, 4869160);
    assert.equal(p.totalObjects, 98858);
    assert.equal(p.raw.contents, HISTOGRAM);
    assert.equal(p.raw.extension, 'histo.txt');
  } finally {
    jvm.done();
  }
});

test('sites(): a failure code or an answer that is no histogram is unavailable, quoting the JVM', async () => {
  const answers = ['-1\nInvalid argument to inspectheap operation: -live\n', '0\nHeap inspection is not supported\n'];
  const jvm = await fakeJvm((_, c) => c.end(answers.shift() ?? ''));
  try {
    const source = new HsPerfDataSource('/nonexistent', 4242, jvm.root);
    assert.equal(
      unavailable(await source.sites()),
      'inspectheap -live: code -1: Invalid argument to inspectheap operation: -live',
    );
    assert.match(
      unavailable(await source.sites()),
      /^inspectheap -live: class histogram line 1 is not a histogram row/,
    );
  } finally {
    jvm.done();
  }
});

test('sites(): a peer closing without an answer is a refusal, said again without asking again', async () => {
  const jvm = await fakeJvm((_, c) => c.end());
  try {
    const source = new HsPerfDataSource('/nonexistent', 4242, jvm.root);
    const first = unavailable(await source.sites());
    assert.match(first, /^attach refused, no class histogram: .*own user, or root/);
    assert.equal(unavailable(await source.sites()), first);
    assert.equal(jvm.requests.length, 1);
    await assert.rejects(source.collect(), /no collection asked: .*own user/);
    assert.equal(jvm.requests.length, 1);
  } finally {
    jvm.done();
  }
});

test('a JVM that takes too long: AttachTimeout, a kind of AttachRefused the sources do not remember', async () => {
  const jvm = await fakeJvm(() => undefined);
  try {
    const err = await new HotSpotAttach(4242, jvm.root).command('inspectheap', ['-live'], 200).catch((e) => e);
    assert.ok(err instanceof AttachTimeout && err instanceof AttachRefused, String(err));
    assert.match(err.message, /no answer on .* within 200 ms/);
  } finally {
    jvm.done();
  }
});
