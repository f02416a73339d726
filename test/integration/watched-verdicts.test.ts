/**
 * Watch-only runs judged as a driven run is (issue 23): a server started by hand, watched by
 * `sample --pid --until-signal`, loaded by another tool (hey, from Debian's packages) while the
 * pack watches, then left at rest, then Ctrl-C. The phases are found from the target's CPU and
 * connections; the runtime's figures come from sources that need no restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FILES } from '../../src/rundir/schema.ts';
import { ensureBundledBinary, REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { runCli } from '../helpers/cli.ts';
import { ensureFixtureBinary } from '../helpers/go-fixture.ts';
import { requireTool } from '../helpers/tools.ts';

const out = mkdtempSync(join(tmpdir(), 'lb-watched-'));

interface Watched {
  kind: string;
  text: string;
  summaryMd: string;
  stderr: string;
  code: number | null;
}

/**
 * Starts `server` (argv, given the port), watches it, sends `heyArgs` load to `path` 3 s into the
 * watch, and stops the watch 6 s after the load ended.
 */
async function watch(
  t: TestContext,
  name: string,
  server: (port: number) => string[],
  heyArgs: string[],
  opts: { path?: string; extra?: string[] } = {},
): Promise<Watched | undefined> {
  const hey = requireTool(t, 'hey', 'apt-get install hey');
  if (!hey) return undefined;
  const port = await freePort();
  const [cmd, ...args] = server(port);
  const target = spawn(cmd!, args, { stdio: 'ignore' });
  let load: ChildProcess | undefined;
  try {
    await waitForAnswer(`http://127.0.0.1:${port}/`);
    let stopAt: Promise<void> | undefined;
    const r = await runCli(
      [
        'sample',
        '--pid',
        String(target.pid),
        '--until-signal',
        '--sample-interval',
        '200ms',
        '--out',
        out,
        '--name',
        name,
        ...(opts.extra ?? []),
      ],
      {
        timeoutMs: 90_000,
        onStderr: (text, pid) => {
          if (stopAt || !text.includes('phase watched')) return;
          stopAt = (async () => {
            await sleep(3000);
            load = spawn(hey, [...heyArgs, `http://127.0.0.1:${port}${opts.path ?? '/'}`], { stdio: 'ignore' });
            await new Promise((r) => load!.on('close', r));
            await sleep(6000);
            process.kill(pid, 'SIGINT');
          })();
        },
      },
    );
    await stopAt;
    const dir = join(out, name);
    const summary = JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')) as {
      diagnosis: { verdict: { kind: string; summary: string; evidence: string[]; caveats: string[] } };
    };
    const v = summary.diagnosis.verdict;
    return {
      kind: v.kind,
      text: [v.kind, v.summary, ...v.evidence, ...v.caveats].join('\n'),
      summaryMd: readFileSync(join(dir, FILES.summaryMd), 'utf8'),
      stderr: r.stderr,
      code: r.code,
    };
  } finally {
    load?.kill('SIGKILL');
    target.kill('SIGKILL');
  }
}

async function waitForAnswer(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer within 30 s: ${(err as Error).message}`, { cause: err });
      await sleep(200);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const GROWTH = [
  'growth-outside-go-runtime',
  'go-heap-growth',
  'goroutine-growth',
  'heap-growth',
  'growth-outside-runtime',
  'thread-growth',
  'rss-growth',
];

test('a -race build loaded by hey and watched by --pid: growth outside the Go runtime, -race and golang/go#63276 named, the race shadow in smaps', async (t) => {
  const bin = (await ensureBundledBinary('race', () => {})).path;
  const w = await watch(t, 'race', (p) => [bin, '-addr', `127.0.0.1:${p}`], ['-n', '60000', '-c', '100']);
  if (!w) return;
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.kind, 'growth-outside-go-runtime', w.text);
  assert.match(w.text, /build -race=true/);
  assert.match(w.text, /golang\/go#63276/);
  assert.match(w.summaryMd, /race (meta )?shadow/);
  assert.match(w.stderr, /found runtime metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/);
});

test('the same server built without -race, watched the same way: not growth', async (t) => {
  const bin = (await ensureBundledBinary('plain', () => {})).path;
  const w = await watch(t, 'plain', (p) => [bin, '-addr', `127.0.0.1:${p}`], ['-n', '60000', '-c', '100']);
  if (!w) return;
  assert.ok(!GROWTH.includes(w.kind), w.text);
});

test('a Go cache that fills within the load, watched: not growth', async (t) => {
  const bin = await ensureFixtureBinary();
  const w = await watch(
    t,
    'go-cache',
    (p) => [
      bin,
      '-mode',
      'cache',
      '-addr',
      `127.0.0.1:${p}`,
      '-cache-entries',
      '2000',
      '-leak-kib',
      '8',
      '-garbage-kib',
      '4',
    ],
    ['-n', '60000', '-c', '50'],
  );
  if (!w) return;
  assert.ok(!GROWTH.includes(w.kind), w.text);
});

test('a Node.js heap leak watched by --pid --inspect-attach: V8 heap growth from the inspector', async (t) => {
  const server = join(REPO_ROOT, 'test', 'fixtures', 'node-plain', 'server.mjs');
  const w = await watch(
    t,
    'node-leak',
    (p) => [process.execPath, server, String(p), 'keep'],
    ['-z', '5s', '-c', '10', '-q', '300'],
    {
      extra: ['--inspect-attach'],
    },
  );
  if (!w) return;
  assert.equal(w.kind, 'heap-growth', w.text);
  assert.match(w.text, /V8 heap/);
});

test('a JVM heap leak watched by --pid: Java heap growth from hsperfdata, after a collection at the end of the watch', async (t) => {
  const server = join(REPO_ROOT, 'test', 'fixtures', 'jvm-plain', 'Server.java');
  const w = await watch(
    t,
    'jvm-leak',
    (p) => ['java', server, String(p), 'keep'],
    ['-z', '5s', '-c', '20', '-q', '150', '-disable-keepalive'],
    {
      path: '/work',
    },
  );
  if (!w) return;
  assert.equal(w.kind, 'heap-growth', w.text);
  assert.match(w.text, /Java heap/);
  assert.match(w.stderr + w.summaryMd, /hsperfdata/);
});
