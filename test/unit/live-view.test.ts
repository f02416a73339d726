/**
 * The live view's parts on their own: its flags, and its server on a real loopback port read
 * by a real HTTP client as a browser's EventSource would read it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { normaliseLiveFlag, parseLiveOptions, plannedSeconds } from '../../src/options/live-options.ts';
import { LiveServer } from '../../src/live/live-server.ts';
import type { LiveAnalysis, LiveState } from '../../src/live/protocol.ts';
import { parseSampleArgs } from '../../src/options/sample-options.ts';
import { SCHEMA, type RunFile, type Sample } from '../../src/rundir/schema.ts';
import { requestsAt } from '../../src/report/requests-axis.ts';
import { opts, rejects } from '../helpers/run-args.ts';
import { onSseMessages, type SseMessage } from '../helpers/sse.ts';

test('--live takes an optional port; --live-host only with it', () => {
  assert.deepEqual(normaliseLiveFlag(['burst', '--live', '--variant', 'plain']), [
    'burst',
    '--live=0',
    '--variant',
    'plain',
  ]);
  assert.deepEqual(normaliseLiveFlag(['burst', '--live', '8080']), ['burst', '--live', '8080']);
  assert.deepEqual(normaliseLiveFlag(['--live']), ['--live=0']);
  assert.equal(opts('burst').live, undefined);
  assert.deepEqual(opts('burst', '--live').live, { port: 0, host: '127.0.0.1' });
  assert.deepEqual(opts('idle', '--live', '9000', '--variant', 'plain').live, { port: 9000, host: '127.0.0.1' });
  assert.deepEqual(opts('idle', '--live', '--live-host', '0.0.0.0').live, { port: 0, host: '0.0.0.0' });
  // A scenario name after a bare --live is the scenario, not a port.
  assert.equal(opts('--live', 'idle').scenario, 'idle');
  rejects(['burst', '--live=http'], /^--live: expected a port from 1 to 65535/);
  rejects(['burst', '--live', '70000'], /^--live: expected a port/);
  rejects(['burst', '--live-host', '127.0.0.1'], /^--live-host: only with --live/);
  rejects(['burst', '--live', '--live-host', 'not a host'], /^--live-host: expected an IP address/);
  const s = parseSampleArgs(['--metrics-url', 'http://127.0.0.1:9/metrics', '--duration', '5s', '--live']);
  assert.ok(s !== 'help');
  assert.deepEqual(s.live, { port: 0, host: '127.0.0.1' });
  assert.throws(() => parseLiveOptions({ 'live-host': '::1' }), /only with --live/);
});

test('planned length: idle phases and the settle time; unknown once a burst is in it', () => {
  assert.equal(plannedSeconds([600_000], 5000), 605);
  assert.equal(plannedSeconds([60_000, undefined], 5000), undefined);
});

test('requests served at time t: whole seconds summed, the current one spread evenly', () => {
  const at = requestsAt([
    { phase: 'b', t: 1, completed: 100, errors: 0, timeouts: 0, non2xx: 0 },
    { phase: 'b', t: 2, completed: 300, errors: 0, timeouts: 0, non2xx: 0 },
  ]);
  assert.equal(at(0), 0);
  assert.equal(at(0.5), 50);
  assert.equal(at(1), 100);
  assert.equal(at(1.5), 250);
  assert.equal(at(9), 400);
});

function runFile(): RunFile {
  return {
    schema: SCHEMA.run,
    scenario: 'idle',
    status: 'running',
    startedAt: new Date(0).toISOString(),
    startedAtMs: 0,
    options: {},
    target: { kind: 'bundled', label: 'race', url: 'http://127.0.0.1:1/' },
    versions: { leakbench: '0', node: '20', autocannon: '9', os: 'linux' },
    phases: [{ name: 'idle', kind: 'idle', params: {}, startT: 0 }],
  };
}

/** An EventSource's reading of the stream: messages as they arrive, until the server ends it. */
function subscribe(
  url: string,
  host?: string,
): Promise<{
  res: IncomingMessage;
  messages: SseMessage[];
  ended: Promise<void>;
  next: (event: string) => Promise<SseMessage>;
}> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: host ? { host } : {} }, (res) => {
      const messages: SseMessage[] = [];
      const unread: SseMessage[] = [];
      const waiters: { event: string; resolve: (m: SseMessage) => void }[] = [];
      onSseMessages(res, (m) => {
        messages.push(m);
        const i = waiters.findIndex((w) => w.event === m.event);
        if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
        else unread.push(m);
      });
      const ended = new Promise<void>((done) => res.on('end', () => done()));
      const next = (event: string) =>
        new Promise<SseMessage>((done, fail) => {
          const i = unread.findIndex((m) => m.event === event);
          if (i >= 0) return done(unread.splice(i, 1)[0]!);
          waiters.push({ event, resolve: done });
          setTimeout(() => fail(new Error(`no ${event} message within 5 s`)), 5000).unref();
        });
      resolve({ res, messages, ended, next });
    });
    req.on('error', reject);
  });
}

test('live server: history first (also on reconnect), then each record; no analysis while nobody watches; closes with the run', async (ctx) => {
  const live = await LiveServer.start({ port: 0, host: '127.0.0.1' });
  // A failed assertion must not leave the port open, or the file never ends.
  ctx.after(() => live.finish({ status: 'completed' }));
  const url = new URL(live.url);
  assert.equal(url.hostname, '127.0.0.1');
  let t = 0;
  live.attach({ run: runFile(), dir: 'reports/x', now: () => t, plannedS: 600 });
  // Nobody watches: records are kept, nothing is analysed.
  for (let i = 0; i < 40; i++) {
    t = i;
    live.onSample({ t: i, vmRss: 40 * 2 ** 20 + i * 100_000, heapInuse: 4 * 2 ** 20 } as Sample);
  }
  live.onLoadSecond({ phase: 'idle', t: 1, completed: 1, errors: 0, timeouts: 0, non2xx: 0 });
  assert.equal(live.analyses, 0);

  const first = await subscribe(new URL('/events', url).href);
  assert.equal(first.res.headers['content-type'], 'text/event-stream');
  const history = (await first.next('history')).data as LiveState;
  assert.equal(history.samples.length, 40);
  assert.equal(history.load.length, 1);
  assert.equal(history.run.plannedS, 600);
  // 100,000 B a second is 343.3 MiB/h. A page that connects gets the growth so far at once, computed off the run's thread.
  const analysis = (await first.next('analysis')).data as LiveAnalysis;
  assert.equal(live.analyses, 1);
  assert.equal(analysis.samples, 40);
  assert.match(
    analysis.rates.map((r) => r.text).join(' '),
    /^\+343\.3 MiB\/h \(95% CI \+343\.3 MiB to \+343\.3 MiB, Kendall's tau 1\.00\)/,
  );

  const sample = first.next('sample');
  live.onSample({ t: 40, vmRss: 44 * 2 ** 20 });
  assert.deepEqual((await sample).data, { t: 40, vmRss: 44 * 2 ** 20 });
  const progress = first.next('progress');
  live.onProgress({ phase: 'idle', value: 40, total: 600, unit: 's' });
  assert.deepEqual((await progress).data, { phase: 'idle', value: 40, total: 600, unit: 's', t: 39 });

  // A second page (or the first one reconnecting) starts from everything so far.
  const second = await subscribe(new URL('/events', url).href);
  assert.equal(((await second.next('history')).data as LiveState).samples.length, 41);
  assert.equal(live.watchers, 2);

  // A name that only resolves to loopback (DNS rebinding) is not let in.
  const foreign = await subscribe(new URL('/events', url).href, `evil.example:${url.port}`);
  assert.equal(foreign.res.statusCode, 403);

  const end = first.next('end');
  await live.finish({ status: 'completed', report: 'reports/x/index.html', headline: 'RSS grew' });
  assert.deepEqual((await end).data, { status: 'completed', report: 'reports/x/index.html', headline: 'RSS grew' });
  await first.ended;
  await second.ended;
  await assert.rejects(subscribe(new URL('/events', url).href), /ECONNREFUSED/);
});

test('live server: a busy port is a usage error naming --live', async () => {
  const a = await LiveServer.start({ port: 0, host: '127.0.0.1' });
  try {
    await assert.rejects(
      LiveServer.start({ port: Number(new URL(a.url).port), host: '127.0.0.1' }),
      (e: Error & { exitCode?: number }) => {
        assert.match(e.message, /^--live: port \d+ on 127\.0\.0\.1 is in use/);
        assert.equal(e.exitCode, 2);
        return true;
      },
    );
  } finally {
    await a.finish({ status: 'completed' });
  }
});
