import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseSmaps } from '../../src/analyse/smaps.ts';
import { LeakbenchError } from '../../src/errors.ts';
import { captureHeapProfile, pprofDiffCommand } from '../../src/sample/pprof.ts';
import { captureSmaps } from '../../src/sample/smaps-snapshot.ts';
import { tempDir } from '../helpers/synthetic-run.ts';

async function serve(handler: RequestListener): Promise<{ url: URL; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/health_check`), server };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

test('captureSmaps copies /proc/PID/smaps, whole and parseable', async () => {
  const file = join(tempDir('leakbench-smaps-'), 'self.txt');
  await captureSmaps(process.pid, file);
  const maps = parseSmaps(readFileSync(file, 'utf8'));
  assert.ok(maps.length > 10, `${maps.length} mappings`);
  assert.ok(maps.some((m) => m.kind === 'stack'));
  assert.ok(maps.some((m) => m.pathname.endsWith('/node') || m.pathname.includes('node')));
});

test('captureSmaps: a gone process and an unwritable file are clear errors', async () => {
  const dir = tempDir('leakbench-smaps-');
  await assert.rejects(captureSmaps(2 ** 30, join(dir, 'x.txt')), (e: unknown) => e instanceof LeakbenchError && /^cannot read \/proc\/1073741824\/smaps: process 1073741824 is gone$/.test(e.message));
  assert.equal(existsSync(join(dir, 'x.txt')), false);
  await assert.rejects(captureSmaps(process.pid, join(dir, 'no-such-dir', 'x.txt')), /^LeakbenchError: cannot write the smaps snapshot .*no-such-dir\/x\.txt: ENOENT/);
});

test('captureHeapProfile fetches /debug/pprof/heap?gc=1 from the base URL and writes the gzip body', async () => {
  const profile = gzipSync(Buffer.from('not really protobuf, but gzip like a profile'));
  const seen: string[] = [];
  const { url, server } = await serve((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(profile);
  });
  try {
    const file = join(tempDir('leakbench-pprof-'), 'heap-start.pb.gz');
    assert.equal(await captureHeapProfile(url, file, 2000), true);
    assert.deepEqual(readFileSync(file), profile);
    assert.deepEqual(seen, ['/debug/pprof/heap?gc=1']);
  } finally {
    await close(server);
  }
});

test('captureHeapProfile: no pprof (404, or an HTML page) is false and writes nothing; failures throw', async () => {
  const mode = { value: '404' };
  const { url, server } = await serve((_req, res) => {
    if (mode.value === '404') res.writeHead(404).end('404 page not found');
    else if (mode.value === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>catch-all</html>');
    else if (mode.value === '500') res.writeHead(500).end('boom');
    else setTimeout(() => res.writeHead(200).end(gzipSync('late')), 1000);
  });
  const dir = tempDir('leakbench-pprof-');
  try {
    assert.equal(await captureHeapProfile(url, join(dir, 'a.pb.gz'), 2000), false);
    mode.value = 'html';
    assert.equal(await captureHeapProfile(url, join(dir, 'b.pb.gz'), 2000), false);
    assert.equal(existsSync(join(dir, 'a.pb.gz')) || existsSync(join(dir, 'b.pb.gz')), false);
    mode.value = '500';
    await assert.rejects(captureHeapProfile(url, join(dir, 'c.pb.gz'), 2000), /heap profile http:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/heap\?gc=1: HTTP 500/);
    mode.value = 'slow';
    await assert.rejects(captureHeapProfile(url, join(dir, 'd.pb.gz'), 200), /: no answer within 200 ms$/);
  } finally {
    await close(server);
  }
  await assert.rejects(captureHeapProfile(url, join(dir, 'e.pb.gz'), 1000), (e: unknown) => e instanceof LeakbenchError && /ECONNREFUSED/.test(e.message));
});

test('pprofDiffCommand: the diff_base command, quoted for a shell only when needed', () => {
  assert.equal(pprofDiffCommand('pprof/heap-start.pb.gz', 'pprof/heap-end.pb.gz'), 'go tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz');
  assert.equal(pprofDiffCommand('my run/start.pb.gz', "it's; rm -rf ~.pb.gz"), `go tool pprof -diff_base 'my run/start.pb.gz' 'it'\\''s; rm -rf ~.pb.gz'`);
  assert.equal(pprofDiffCommand('$(id).pb.gz', '`id`.pb.gz'), `go tool pprof -diff_base '$(id).pb.gz' '\`id\`.pb.gz'`);
});
