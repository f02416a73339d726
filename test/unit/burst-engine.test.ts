import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { defaultThreads, runBurst, requestBytes, type BurstPhase } from '../../src/load/burst.ts';
import { startClock } from '../../src/load/clock.ts';
import { ResponseParseError, ResponseParser } from '../../src/load/http1-parser.ts';
import type { LoadSecond } from '../../src/rundir/schema.ts';

/** Feeds `text` to a parser in pieces of `step` bytes and returns the responses it saw. */
function parse(text: string, step = Infinity): { status: number; close: boolean }[] {
  const seen: { status: number; close: boolean }[] = [];
  const p = new ResponseParser({ onResponse: (status, close) => seen.push({ status, close }) });
  const bytes = Buffer.from(text, 'latin1');
  const size = Math.min(step, bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    // A reused read buffer: bytes past `end` are garbage the parser must not look at.
    const buf = Buffer.alloc(size + 16, 'Z');
    const piece = bytes.subarray(i, i + size);
    piece.copy(buf);
    // One response per call at most: feed the rest of the piece again, as a new read would.
    for (let at = 0; at < piece.length;) at = p.execute(buf, at, piece.length);
  }
  if (p.end()) seen.at(-1)!.close = true;
  return seen;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n\r\nHello World!';
const CHUNKED =
  'HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: Chunked\r\n\r\n5;ext=1\r\nHello\r\n7 \r\n World!\r\n0\r\nX-Trailer: yes\r\n\r\n';

test('parser: Content-Length and chunked responses, whole or split at any byte', () => {
  for (const step of [Infinity, 1, 2, 3, 7, 13]) {
    assert.deepEqual(
      parse(OK + OK, step),
      [
        { status: 200, close: false },
        { status: 200, close: false },
      ],
      `step ${step}`,
    );
    assert.deepEqual(
      parse(CHUNKED + OK, step),
      [
        { status: 503, close: false },
        { status: 200, close: false },
      ],
      `step ${step}`,
    );
  }
});

test('parser: bodiless statuses, Connection: close, HTTP/1.0, body until close, interim 100', () => {
  assert.deepEqual(parse('HTTP/1.1 204 No Content\r\n\r\n' + OK), [
    { status: 204, close: false },
    { status: 200, close: false },
  ]);
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\ncontent-length: 2\r\n\r\nhi'), [
    { status: 200, close: true },
  ]);
  assert.deepEqual(parse('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi'), [{ status: 200, close: true }]);
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\n\r\nuntil the end', 4), [{ status: 200, close: true }]);
  assert.deepEqual(parse('HTTP/1.1 100 Continue\r\n\r\n' + OK, 5), [{ status: 200, close: false }]);
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), [{ status: 200, close: false }]);
});

test('parser: garbage is an error, not a response', () => {
  assert.throws(() => parse('SSH-2.0-OpenSSH_9.2\r\n\r\n'), ResponseParseError);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'), ResponseParseError);
  assert.throws(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), ResponseParseError);
});

test('threads: one per core left once the target has one, one for a small burst or a single connection', () => {
  const big = { requests: 1_000_000, connections: 100 };
  assert.equal(defaultThreads(big, 1), 1);
  assert.equal(defaultThreads(big, 2), 1, 'on 2 cores the target keeps one');
  assert.equal(defaultThreads(big, 4), 3);
  assert.equal(defaultThreads(big, 64), 8, 'capped at LIMITS.burstThreads.max');
  assert.equal(defaultThreads({ requests: 1_000_000, connections: 2 }, 8), 2, 'no more threads than connections');
  assert.equal(
    defaultThreads({ requests: 10_000, connections: 100 }, 8),
    1,
    'a small burst ends before a thread starts',
  );
});

test('the request is a minimal HTTP/1.1 GET with the Host header', () => {
  assert.equal(
    requestBytes(new URL('http://127.0.0.1:8080/health_check?x=1')).toString('latin1'),
    'GET /health_check?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n',
  );
});

/** A raw TCP server answering each request (one at a time per connection) via `answer`. */
async function server(
  answer: (socket: Socket, n: number) => void,
): Promise<{ url: URL; srv: Server; requests: () => number; connections: () => number }> {
  let requests = 0;
  let connections = 0;
  const srv = createServer((socket) => {
    connections++;
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        pending = pending.slice(end + 4);
        answer(socket, ++requests);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/health_check`),
    srv,
    requests: () => requests,
    connections: () => connections,
  };
}

function burst(url: URL, requests: number, over: Partial<BurstPhase> = {}, signal = new AbortController().signal) {
  const seconds: LoadSecond[] = [];
  const warnings: string[] = [];
  const progress: number[] = [];
  const run = runBurst(
    { name: 'b', url, requests, connections: 8, timeoutMs: 2000, ...over },
    {
      clock: startClock(),
      signal,
      onSecond: (s) => seconds.push(s),
      onWarning: (w) => warnings.push(w),
      onProgress: (done) => progress.push(done),
    },
    // The one-thread engine; its threaded mode is in test/integration/http1-conformance.test.ts.
    { threads: 1 },
  );
  return run.then((summary) => ({ summary, seconds, warnings, progress }));
}

test('burst: exact counts over keep-alive, status codes, timeline and progress add up', async () => {
  const s = await server((sock, n) => sock.write(n % 10 === 0 ? CHUNKED : OK));
  try {
    const { summary, seconds, warnings, progress } = await burst(s.url, 3000);
    assert.equal(summary.sent, 3000);
    assert.equal(summary.completed, 3000);
    assert.equal(summary.errors, 0);
    assert.deepEqual(summary.statusCodes, { '200': 2700, '503': 300 });
    assert.equal(summary.non2xx, 300);
    assert.equal(s.requests(), 3000, 'the server saw exactly the requests asked');
    assert.equal(s.connections(), 8, 'keep-alive: one connection each, never reopened');
    assert.equal(
      seconds.reduce((n, x) => n + x.completed, 0),
      3000,
    );
    assert.ok(summary.latency && summary.latency.max >= summary.latency.p50);
    assert.ok(summary.histogram);
    assert.deepEqual(warnings, []);
    assert.equal(progress.at(-1), 3000, 'the last progress call is the total');
    assert.ok(progress.includes(1024) && progress.includes(2048));
  } finally {
    s.srv.close();
  }
});

test('burst: a server that closes after each response is reconnected to, without errors', async () => {
  const s = await server((sock) => {
    sock.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
  });
  try {
    const { summary, warnings } = await burst(s.url, 300);
    assert.equal(summary.completed, 300);
    assert.equal(summary.errors, 0);
    assert.equal(s.connections(), 300);
    assert.deepEqual(warnings, []);
  } finally {
    s.srv.close();
  }
});

test('burst: dropped connections and timeouts are errors, each request counted once', async () => {
  const s = await server((sock, n) => {
    // Dropped mid-answer: the request was answered in part, so it is not sent again.
    if (n % 50 === 0) sock.end('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHello');
    else if (n % 70 === 0) {
      // never answered: the request times out
    } else sock.write(OK);
  });
  try {
    const { summary, seconds, warnings } = await burst(s.url, 1000, { timeoutMs: 150 });
    assert.equal(summary.sent, 1000);
    assert.equal(summary.completed + summary.errors, 1000);
    assert.ok(summary.errors >= 20, `errors ${summary.errors}`);
    assert.ok(summary.timeouts >= 10, `timeouts ${summary.timeouts}`);
    assert.equal(s.requests(), 1000, 'an errored request is not sent again');
    assert.equal(
      seconds.reduce((n, x) => n + x.errors, 0),
      summary.errors,
    );
    assert.equal(
      seconds.reduce((n, x) => n + x.timeouts, 0),
      summary.timeouts,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /requests failed \(.*timed out after 150 ms/);
  } finally {
    s.srv.close();
  }
});

test('burst: a kept-alive connection closed before any answer is retried once, on a new connection', async () => {
  // Every 10th request on each connection is dropped unanswered; a first request never is.
  const perSocket = new WeakMap<Socket, number>();
  let dropped = 0;
  const s = await server((sock) => {
    const k = (perSocket.get(sock) ?? 0) + 1;
    perSocket.set(sock, k);
    if (k % 10 === 0) {
      dropped++;
      sock.destroy();
    } else sock.write(OK);
  });
  try {
    const { summary, warnings } = await burst(s.url, 500);
    assert.equal(summary.completed, 500, 'each retry was answered');
    assert.equal(summary.errors, 0);
    const resent = s.requests() - 500;
    assert.ok(dropped > 0);
    assert.equal(resent, dropped, 'each dropped request was sent once more');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`^burst b: ${resent} requests were sent again on a new connection`));
  } finally {
    s.srv.close();
  }
});

test('burst: a request on a fresh connection that closes before answering is an error, not retried', async () => {
  const s = await server((sock) => sock.destroy());
  try {
    const { summary, warnings } = await burst(s.url, 40);
    assert.equal(summary.errors, 40);
    assert.equal(s.requests(), 40);
    assert.match(
      warnings.at(-1)!,
      /40 of 40 requests failed \(40 x the server closed the connection before answering\)/,
    );
  } finally {
    s.srv.close();
  }
});

test('burst: a refused port makes every request an error, and the burst still ends', async () => {
  const s = await server(() => {});
  const url = s.url;
  await new Promise((r) => s.srv.close(r));
  const { summary } = await burst(url, 40);
  assert.equal(summary.sent, 40);
  assert.equal(summary.errors, 40);
  assert.equal(summary.completed, 0);
  assert.equal(summary.latency, undefined);
});

test('burst: an answer with extra bytes after it is an error (nothing was asked for them)', async () => {
  const s = await server((sock, n) => sock.write(n === 3 ? OK + OK : OK));
  try {
    const { summary } = await burst(s.url, 50);
    assert.equal(summary.sent, 50);
    // The first of the two answers counts; the request claimed next is the error.
    assert.equal(summary.errors, 1);
    assert.equal(summary.completed, 49);
  } finally {
    s.srv.close();
  }
});

test('burst: garbage from the server is an error on that connection only', async () => {
  const s = await server((sock, n) => sock.write(n === 5 ? 'garbage\r\n\r\n' : OK));
  try {
    const { summary } = await burst(s.url, 100);
    assert.equal(summary.completed, 99);
    assert.equal(summary.errors, 1);
  } finally {
    s.srv.close();
  }
});

test('burst: an abort ends it at once, with no warning about the count', async () => {
  const s = await server((sock) => setTimeout(() => sock.write(OK), 20));
  const ac = new AbortController();
  try {
    setTimeout(() => ac.abort(), 150);
    const started = Date.now();
    const { summary, warnings } = await burst(s.url, 1_000_000, {}, ac.signal);
    assert.ok(Date.now() - started < 2000);
    assert.ok(summary.sent > 0 && summary.sent < 1_000_000);
    assert.equal(summary.sent, summary.completed + summary.errors);
    assert.deepEqual(warnings, []);
  } finally {
    s.srv.close();
  }
});
