import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { parseSmaps } from '../../src/analyse/smaps.ts';
import { LeakbenchError } from '../../src/errors.ts';
import { pprofDiffCommand } from '../../src/analyse/pprof-command.ts';
import { fetchHeapProfile } from '../../src/sample/pprof.ts';
import { readSmaps } from '../../src/sample/smaps-snapshot.ts';

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

test('readSmaps reads /proc/PID/smaps, whole and parseable', async () => {
  const maps = parseSmaps(await readSmaps(process.pid));
  assert.ok(maps.length > 10, `${maps.length} mappings`);
  assert.ok(maps.some((m) => m.kind === 'stack'));
  assert.ok(maps.some((m) => m.pathname.endsWith('/node') || m.pathname.includes('node')));
});

test('readSmaps: a gone process is a clear error', async () => {
  await assert.rejects(
    readSmaps(2 ** 30),
    (e: unknown) =>
      e instanceof LeakbenchError &&
      /^cannot read \/proc\/1073741824\/smaps: process 1073741824 is gone$/.test(e.message),
  );
});

test('fetchHeapProfile fetches /debug/pprof/heap?gc=1 from the base URL and returns the gzip body', async () => {
  const profile = gzipSync(Buffer.from('not really protobuf, but gzip like a profile'));
  const seen: string[] = [];
  const { url, server } = await serve((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(profile);
  });
  try {
    assert.deepEqual(await fetchHeapProfile(url, 2000), profile);
    assert.deepEqual(seen, ['/debug/pprof/heap?gc=1']);
  } finally {
    await close(server);
  }
});

test('fetchHeapProfile: no pprof (404, or an HTML page) is undefined; failures throw', async () => {
  const mode = { value: '404' };
  const { url, server } = await serve((_req, res) => {
    if (mode.value === '404') res.writeHead(404).end('404 page not found');
    else if (mode.value === 'html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>catch-all</html>');
    else if (mode.value === '500') res.writeHead(500).end('boom');
    else setTimeout(() => res.writeHead(200).end(gzipSync('late')), 1000);
  });
  try {
    assert.equal(await fetchHeapProfile(url, 2000), undefined);
    mode.value = 'html';
    assert.equal(await fetchHeapProfile(url, 2000), undefined);
    mode.value = '500';
    await assert.rejects(
      fetchHeapProfile(url, 2000),
      /heap profile http:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/heap\?gc=1: HTTP 500/,
    );
    mode.value = 'slow';
    await assert.rejects(fetchHeapProfile(url, 200), /: no answer within 200 ms$/);
  } finally {
    await close(server);
  }
  await assert.rejects(
    fetchHeapProfile(url, 1000),
    (e: unknown) => e instanceof LeakbenchError && /ECONNREFUSED/.test(e.message),
  );
});

test('pprofDiffCommand: the diff_base command, quoted for a shell only when needed', () => {
  assert.equal(
    pprofDiffCommand('pprof/heap-start.pb.gz', 'pprof/heap-end.pb.gz'),
    'go tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz',
  );
  assert.equal(
    pprofDiffCommand('my run/start.pb.gz', "it's; rm -rf ~.pb.gz"),
    `go tool pprof -diff_base 'my run/start.pb.gz' 'it'\\''s; rm -rf ~.pb.gz'`,
  );
  assert.equal(pprofDiffCommand('$(id).pb.gz', '`id`.pb.gz'), `go tool pprof -diff_base '$(id).pb.gz' '\`id\`.pb.gz'`);
});
