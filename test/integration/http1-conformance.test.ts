/**
 * HTTP/1.1 conformance of the burst engines: every engine against real servers this file starts
 * (Go's net/http, Node's http, Caddy), each answering in one of the ways HTTP/1.1 allows.
 * Every request must end as a response or as an error with its reason, and the counts must add
 * up exactly. Where an engine cannot count exactly (autocannon, in some cases), the run must say
 * so in a warning: silence with a wrong count is the failure this suite is for.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BURST_ENGINES, runBurstWith, type BurstEngineName } from '../../src/load/burst-engines.ts';
import { runBurst, type BurstMethod } from '../../src/load/burst.ts';
import { startClock } from '../../src/load/clock.ts';
import type { PhaseLoadSummary } from '../../src/rundir/schema.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { FILES } from '../../src/rundir/schema.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { runCli } from '../helpers/cli.ts';
import { findTool } from '../helpers/tools.ts';
import { ensureGoBinary } from '../helpers/go-fixture.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'http1-servers');

/** The Go server, built once per source/toolchain change like the other Go fixtures. */
function goServerBinary(): Promise<string> {
  return ensureGoBinary(join(FIXTURES, 'go'), 'fixture-http1-go', 'http1-server');
}

interface Server {
  name: string;
  url(path: string): URL;
  stop(): Promise<void>;
  /** Resolves when the process has gone (for the server that dies mid-burst). */
  exited: Promise<void>;
}

/** Starts a server that prints "listening on HOST:PORT" and waits for that line. */
function startPrinting(name: string, file: string, args: string[]): Promise<Server> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  return withChild(
    name,
    child,
    new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${out}`)));
    }),
  );
}

async function withChild(name: string, child: ChildProcess, address: Promise<string>): Promise<Server> {
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let host: string;
  try {
    host = await address;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  return {
    name,
    url: (path) => new URL(`http://${host}${path}`),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves once something accepts connections on the port. */
async function portOpen(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const BIG_MIB = 4;

/**
 * Caddy from Debian's package, on loopback, with its admin endpoint off and its state in a
 * temporary directory: fixed answers (`respond`), a file (`file_server`) and, for chunked
 * bodies with trailers, a reverse proxy to the Go server.
 */
async function startCaddy(caddy: string, goUrl: URL): Promise<Server & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-caddy-'));
  const port = await freePort();
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(BIG_MIB * 1024 * 1024, 120));
  const caddyfile = `{
	admin off
	auto_https off
}
http://127.0.0.1:${port} {
	bind 127.0.0.1
	respond /cl "Hello World!" 200
	respond /status/204 204
	respond /status/304 304
	handle /close {
		header Connection close
		respond "Hello World!" 200
	}
	handle /big.bin {
		root * ${dir}
		file_server
	}
	handle /chunked {
		reverse_proxy ${goUrl.host}
	}
}
`;
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const child = spawn(caddy, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  child.stdout!.resume();
  const address = portOpen(port, 20_000).then(() => `127.0.0.1:${port}`);
  const server = await withChild(
    'caddy',
    child,
    Promise.race([
      address,
      new Promise<string>((_, reject) => child.once('exit', (c) => reject(new Error(`caddy exited (${c})`)))),
    ]),
  );
  return {
    ...server,
    dir,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Outcome {
  summary: PhaseLoadSummary;
  warnings: string[];
  wallS: number;
}

/** The engines, and the net engine on two threads (its default for large bursts on 3 or more cores). */
type Engine = BurstEngineName | 'net, 2 threads';

/** Runs one burst with a watchdog, so an engine that hangs fails its case instead of the suite. */
async function burst(
  engine: Engine,
  url: URL,
  requests: number,
  connections: number,
  opts: { timeoutMs?: number; method?: BurstMethod } = {},
): Promise<Outcome> {
  const warnings: string[] = [];
  const ac = new AbortController();
  const watchdog = setTimeout(() => ac.abort(), 30_000);
  const t0 = Date.now();
  try {
    const phase = {
      name: 'conformance',
      url,
      requests,
      connections,
      timeoutMs: opts.timeoutMs ?? 5000,
      ...(opts.method && { method: opts.method }),
    };
    const sinks = {
      clock: startClock(),
      signal: ac.signal,
      onSecond: () => {},
      onWarning: (w: string) => warnings.push(w),
    };
    const summary =
      engine === 'net, 2 threads'
        ? await runBurst(phase, sinks, { threads: 2 })
        : await runBurstWith(engine, phase, sinks);
    assert.ok(
      !ac.signal.aborted,
      `${engine}: the burst did not end within 30 s (${summary.completed} responses, ${summary.errors} errors)`,
    );
    return { summary, warnings, wallS: (Date.now() - t0) / 1000 };
  } finally {
    clearTimeout(watchdog);
  }
}

/** What a case expects of an exact engine. */
interface Expect {
  statusCodes?: Record<string, number>;
  /** Errors, exactly; with `timeouts`, how many of them are timeouts. */
  errors?: number;
  timeouts?: number;
  /** Every error's reason matches this. */
  errorReason?: RegExp;
  /** At most this many responses (a server that dies answers no more than it did). */
  maxCompleted?: number;
}

interface Case {
  name: string;
  path: string;
  requests: number;
  connections?: number;
  method?: BurstMethod;
  timeoutMs?: number;
  expect: Expect;
}

const ok = (n: number): Expect => ({ statusCodes: { '200': n }, errors: 0 });

/** The cases both Go's and Node's servers answer the same way. */
const COMMON: Case[] = [
  { name: 'Content-Length body', path: '/cl', requests: 300, expect: ok(300) },
  { name: 'chunked body with a trailer', path: '/chunked', requests: 300, expect: ok(300) },
  { name: '204 No Content', path: '/status/204', requests: 200, expect: { statusCodes: { '204': 200 }, errors: 0 } },
  { name: '304 Not Modified', path: '/status/304', requests: 200, expect: { statusCodes: { '304': 200 }, errors: 0 } },
  { name: '103 Early Hints before the answer', path: '/early-hints', requests: 200, expect: ok(200) },
  { name: 'HEAD: a length but no body', path: '/cl', method: 'HEAD', requests: 200, expect: ok(200) },
  {
    name: `HEAD of a ${BIG_MIB} MiB resource`,
    path: `/big-cl/${BIG_MIB}`,
    method: 'HEAD',
    requests: 100,
    expect: ok(100),
  },
  { name: 'Connection: close on every 7th answer', path: '/close-every/7', requests: 280, expect: ok(280) },
  {
    name: '204, chunked, Connection: close and 304 in turn',
    path: '/mix',
    requests: 300,
    expect: { statusCodes: { '200': 180, '204': 60, '304': 60 }, errors: 0 },
  },
  {
    name: `${BIG_MIB} MiB bodies with Content-Length`,
    path: `/big-cl/${BIG_MIB}`,
    requests: 24,
    connections: 4,
    expect: ok(24),
  },
  {
    name: `${BIG_MIB} MiB chunked bodies`,
    path: `/big-chunked/${BIG_MIB}`,
    requests: 24,
    connections: 4,
    expect: ok(24),
  },
  { name: 'slow answers within --request-timeout', path: '/slow/60', requests: 40, timeoutMs: 3000, expect: ok(40) },
  {
    name: 'every 10th request stalled past --request-timeout',
    path: '/stall-every/10',
    requests: 60,
    connections: 6,
    timeoutMs: 300,
    expect: { statusCodes: { '200': 54 }, errors: 6, timeouts: 6, errorReason: /timed out after 300 ms/ },
  },
];

const GO_ONLY: Case[] = [
  { name: 'chunk extensions', path: '/raw/chunk-ext', requests: 300, expect: ok(300) },
  { name: 'HTTP/1.0 answers with Content-Length, then close', path: '/raw/http10', requests: 200, expect: ok(200) },
  { name: 'HTTP/1.0 answers whose body runs to the close', path: '/raw/http10-eof', requests: 200, expect: ok(200) },
  {
    name: 'kept-alive connections closed as if idle, before or after the next request',
    path: '/raw/idle-close',
    requests: 200,
    expect: ok(200),
  },
  {
    name: 'a reset mid-body on every 10th answer',
    path: '/raw/reset-every/10',
    requests: 100,
    expect: { statusCodes: { '200': 90 }, errors: 10, timeouts: 0, errorReason: /ECONNRESET|mid-response/ },
  },
];

const NODE_ONLY: Case[] = [
  {
    name: 'a reset mid-body on every 10th answer',
    path: '/reset-every/10',
    requests: 100,
    expect: { statusCodes: { '200': 90 }, errors: 10, timeouts: 0, errorReason: /ECONNRESET|mid-response/ },
  },
];

const CADDY: Case[] = [
  { name: 'Content-Length body (respond)', path: '/cl', requests: 300, expect: ok(300) },
  { name: '204 No Content', path: '/status/204', requests: 200, expect: { statusCodes: { '204': 200 }, errors: 0 } },
  { name: '304 Not Modified', path: '/status/304', requests: 200, expect: { statusCodes: { '304': 200 }, errors: 0 } },
  { name: 'Connection: close on every answer', path: '/close', requests: 200, expect: ok(200) },
  { name: `a ${BIG_MIB} MiB file (file_server)`, path: '/big.bin', requests: 24, connections: 4, expect: ok(24) },
  { name: `HEAD of a ${BIG_MIB} MiB file`, path: '/big.bin', method: 'HEAD', requests: 200, expect: ok(200) },
  { name: 'chunked body with a trailer (reverse_proxy)', path: '/chunked', requests: 200, expect: ok(200) },
];

/** The part of an outcome a case speaks about, for comparing with what it expects. */
function mismatches(o: Outcome, c: Case): string[] {
  const s = o.summary;
  const e = c.expect;
  const out: string[] = [];
  if (s.sent !== c.requests) out.push(`sent ${s.sent} of ${c.requests}`);
  if (s.completed + s.errors !== c.requests) out.push(`${s.completed} responses + ${s.errors} errors != ${c.requests}`);
  if (e.statusCodes) {
    try {
      assert.deepEqual(s.statusCodes, e.statusCodes);
    } catch {
      out.push(`status codes ${JSON.stringify(s.statusCodes)}, expected ${JSON.stringify(e.statusCodes)}`);
    }
  }
  if (e.errors !== undefined && s.errors !== e.errors) out.push(`${s.errors} errors, expected ${e.errors}`);
  if (e.timeouts !== undefined && s.timeouts !== e.timeouts) out.push(`${s.timeouts} timeouts, expected ${e.timeouts}`);
  if (e.maxCompleted !== undefined && s.completed > e.maxCompleted)
    out.push(`${s.completed} responses, at most ${e.maxCompleted} possible`);
  if (e.errorReason && s.errors > 0) {
    const failed = o.warnings.find((w) => / requests failed \(/.test(w));
    const reasons = failed ? [...failed.matchAll(/(\d+) x ([^;)]+)/g)].map((m) => m[2]!) : [];
    if (reasons.length === 0) out.push("errors without a reason in the run's warnings");
    for (const r of reasons)
      if (!e.errorReason.test(r)) out.push(`error reason ${JSON.stringify(r)} is not ${e.errorReason}`);
  }
  return out;
}

/** A warning by which the run admits its count is not exact. */
const INEXACT = /unaccounted for|cannot count exactly|counted .* the pack counted|the count is not exact/;

/**
 * The net engine must meet every expectation. autocannon must either meet it or say in a
 * warning that its count is off; a silent wrong count fails. Returns what autocannon got wrong.
 */
function check(engine: Engine, o: Outcome, c: Case): string[] {
  const wrong = mismatches(o, c);
  if (engine !== 'autocannon' || wrong.length === 0) {
    assert.deepEqual(wrong, [], `${engine}: ${c.name}; warnings: ${o.warnings.join(' | ')}`);
    return [];
  }
  assert.ok(
    o.warnings.some((w) => INEXACT.test(w)),
    `${engine}: ${c.name}: the count is off (${wrong.join('; ')}) and the run does not say so; warnings: ${o.warnings.join(' | ') || 'none'}`,
  );
  return wrong;
}

/** What autocannon got wrong, case by case, printed at the end for the record. */
const inexact: string[] = [];

async function runCases(t: TestContext, server: () => Server, cases: Case[]): Promise<void> {
  for (const c of cases) {
    for (const engine of BURST_ENGINES) {
      await t.test(`${engine}: ${c.name}`, async () => {
        if (engine === 'autocannon' && c.method === 'HEAD') {
          // Its parser would wait for the body a HEAD answer announces: the engine refuses.
          await assert.rejects(
            burst(engine, server().url(c.path), c.requests, 8, { method: 'HEAD' }),
            /cannot send HEAD requests/,
          );
          return;
        }
        const o = await burst(engine, server().url(c.path), c.requests, c.connections ?? 8, {
          ...(c.timeoutMs && { timeoutMs: c.timeoutMs }),
          ...(c.method && { method: c.method }),
        });
        const wrong = check(engine, o, c);
        if (wrong.length > 0) inexact.push(`${server().name} ${c.name} (${engine}): ${wrong.join('; ')}`);
      });
    }
  }
}

let goBinary = '';
const nodeServerArgs = ['--import', 'tsx', join(FIXTURES, 'node', 'server.ts')];

before(async () => {
  goBinary = await goServerBinary();
});

after(() => {
  if (inexact.length > 0)
    process.stderr.write(`autocannon's inexact counts, each reported by the run:\n  ${inexact.join('\n  ')}\n`);
});

describe("Go's net/http", () => {
  let go: Server;
  before(async () => {
    go = await startPrinting('go', goBinary, []);
  });
  after(() => go.stop());
  test('cases', (t) => runCases(t, () => go, [...COMMON, ...GO_ONLY]));
});

describe("Node's http", () => {
  let node: Server;
  before(async () => {
    node = await startPrinting('node', process.execPath, nodeServerArgs);
  });
  after(() => node.stop());
  test('cases', (t) => runCases(t, () => node, [...COMMON, ...NODE_ONLY]));
});

describe('Caddy', () => {
  let caddy: (Server & { dir: string }) | undefined;
  let go: Server | undefined;
  before(async () => {
    const bin = findTool('caddy');
    if (bin === undefined) return;
    go = await startPrinting('go', goBinary, []);
    caddy = await startCaddy(bin, go.url('/'));
  });
  after(async () => {
    await caddy?.stop();
    await go?.stop();
  });
  test('cases', async (t) => {
    if (caddy === undefined) {
      const message = 'caddy is not installed (Debian: apt-get install caddy; .ci/run installs it)';
      if (process.env.CI) assert.fail(message);
      return t.skip(message);
    }
    const c = caddy;
    await runCases(t, () => c, CADDY);
  });
});

/** Servers that close idle kept-alive connections on their own timers, as real servers do. */
describe('idle keep-alive connections closed by the server', () => {
  const REQUESTS = 600;
  for (const [name, start] of [
    ["Go's net/http, IdleTimeout 1 ms", () => startPrinting('go', goBinary, ['-idle-timeout', '1ms'])],
    [
      "Node's http, keepAliveTimeout 1 ms",
      () => startPrinting('node', process.execPath, [...nodeServerArgs, '--keep-alive-timeout', '1']),
    ],
  ] as const) {
    for (const engine of BURST_ENGINES) {
      test(`${engine}: ${name}`, async () => {
        const server = await start();
        try {
          const o = await burst(engine, server.url('/cl'), REQUESTS, 8);
          const c: Case = { name, path: '/cl', requests: REQUESTS, expect: ok(REQUESTS) };
          const wrong = check(engine, o, c);
          if (wrong.length > 0) inexact.push(`${name} (${engine}): ${wrong.join('; ')}`);
        } finally {
          await server.stop();
        }
      });
    }
  }
});

describe('a server that dies mid-burst', () => {
  const REQUESTS = 400;
  const DIES_AFTER = 150;
  for (const [name, start] of [
    ["Go's net/http", () => startPrinting('go', goBinary, ['-exit-after', String(DIES_AFTER)])],
    [
      "Node's http",
      () => startPrinting('node', process.execPath, [...nodeServerArgs, '--exit-after', String(DIES_AFTER)]),
    ],
  ] as const) {
    for (const engine of BURST_ENGINES) {
      test(`${engine}: ${name} exits after ${DIES_AFTER} requests`, async () => {
        const server = await start();
        try {
          const o = await burst(engine, server.url('/cl'), REQUESTS, 8);
          await server.exited;
          const c: Case = {
            name,
            path: '/cl',
            requests: REQUESTS,
            expect: {
              errors: REQUESTS - o.summary.completed,
              maxCompleted: DIES_AFTER,
              errorReason: /ECONNREFUSED|ECONNRESET|closed the connection/,
            },
          };
          const wrong = check(engine, o, c);
          if (wrong.length > 0) inexact.push(`${name} dies (${engine}): ${wrong.join('; ')}`);
          else assert.ok(o.summary.errors >= REQUESTS - DIES_AFTER, `${engine}: ${o.summary.errors} errors`);
        } finally {
          await server.stop();
        }
      });
    }
  }
});

/** The warning reaches the user: in the run's summary and in its report, not only in an API call. */
test('leakbench run burst --engine autocannon: an inexact count is a warning in summary.json and summary.md', async () => {
  const out = mkdtempSync(join(tmpdir(), 'leakbench-conformance-'));
  try {
    const port = await freePort();
    const r = await runCli([
      'run',
      'burst',
      '--cmd',
      `${goBinary} -addr 127.0.0.1:${port}`,
      '--url',
      `http://127.0.0.1:${port}`,
      '--path',
      '/raw/idle-close',
      '--engine',
      'autocannon',
      '--requests',
      '600',
      '--connections',
      '8',
      '--sample-interval',
      '500ms',
      '--settle',
      '0s',
      '--progress',
      'off',
      '--out',
      out,
      '--name',
      'ac',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, 'ac', FILES.summary), 'utf8')) as SummaryFile;
    const warning = summary.warnings.find((w) => INEXACT.test(w));
    assert.ok(warning, `no warning about the count: ${summary.warnings.join(' | ')}`);
    assert.ok(
      readFileSync(join(out, 'ac', FILES.summaryMd), 'utf8').includes('cannot count exactly'),
      'summary.md carries the warning',
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * The net engine's threaded mode, on the cases where its threads must agree: a shared count
 * of requests, answers and errors gathered from both threads, retries and a server that dies.
 */
describe('the net engine on two threads', () => {
  let go: Server;
  before(async () => {
    go = await startPrinting('go', goBinary, []);
  });
  after(() => go.stop());
  const names = new Set([
    '204, chunked, Connection: close and 304 in turn',
    'every 10th request stalled past --request-timeout',
    'kept-alive connections closed as if idle, before or after the next request',
    'a reset mid-body on every 10th answer',
    `HEAD of a ${BIG_MIB} MiB resource`,
  ]);
  for (const c of [...COMMON, ...GO_ONLY].filter((x) => names.has(x.name))) {
    test(c.name, async () => {
      const o = await burst('net, 2 threads', go.url(c.path), c.requests, c.connections ?? 8, {
        ...(c.timeoutMs && { timeoutMs: c.timeoutMs }),
        ...(c.method && { method: c.method }),
      });
      check('net, 2 threads', o, c);
    });
  }
  test('an abort ends both threads at once, and what ended adds up', async () => {
    const ac = new AbortController();
    const sinks = { clock: startClock(), signal: ac.signal, onSecond: () => {}, onWarning: () => {} };
    const run = runBurst(
      { name: 'abort', url: go.url('/slow/5'), requests: 1_000_000, connections: 8, timeoutMs: 5000 },
      sinks,
      { threads: 2 },
    );
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = Date.now();
    ac.abort();
    const s = await run;
    assert.ok(Date.now() - t0 < 2000, `ended ${Date.now() - t0} ms after the abort`);
    assert.ok(s.sent > 0 && s.sent < 1_000_000, `sent ${s.sent}`);
    assert.equal(s.sent, s.completed + s.errors);
  });
  test('a server that dies mid-burst', async () => {
    const dying = await startPrinting('go', goBinary, ['-exit-after', '150']);
    try {
      const o = await burst('net, 2 threads', dying.url('/cl'), 400, 8);
      await dying.exited;
      check('net, 2 threads', o, {
        name: 'dies',
        path: '/cl',
        requests: 400,
        expect: {
          errors: 400 - o.summary.completed,
          maxCompleted: 150,
          errorReason: /ECONNREFUSED|ECONNRESET|closed the connection/,
        },
      });
    } finally {
      await dying.stop();
    }
  });
});
