/**
 * The Node.js inspector and HotSpot hsperfdata/attach sources against real servers with no
 * metrics library and no code change: node:http (test/fixtures/node-plain) and the JDK's
 * HttpServer run as a single source file (test/fixtures/jvm-plain), each keeping 8 KiB per
 * request or nothing. Each is started with the environment the probe's launchEnv gives, its
 * stderr lines fed to the probe as the run's tap would, loaded on loopback, collected at rest.
 *
 * End-to-end verdicts through `leakbench run` need the run's plumbing (another branch); they are
 * in test/integration/runtime-verdicts-node-jvm.test.ts, skipped until it is merged.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { nodeInspectorProbe } from '../../src/sample/runtime/node-inspector.ts';
import { hsPerfDataProbe } from '../../src/sample/runtime/hsperfdata.ts';
import {
  isUnavailable,
  type RuntimeProbe,
  type RuntimeSource,
  type StderrTap,
} from '../../src/sample/runtime/source.ts';
import { requireTool } from '../helpers/tools.ts';
import type { Sample } from '../../src/rundir/schema.ts';

const KEEP = 8 * 1024;
const REQUESTS = 4_000;
const NODE_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'node-plain', 'server.mjs');
const JAVA_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'jvm-plain', 'Server.java');

interface Started {
  child: ChildProcess;
  port: number;
  tap: StderrTap;
  /** stderr lines no subscriber claimed: what target.log would keep. */
  userLines: string[];
  stdoutLines: string[];
}

/** Starts argv with the probe's launch environment; resolves once it prints "listening". */
async function start(t: TestContext, argv: (port: number) => string[], env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const [cmd, ...args] = argv(port);
  const child = spawn(cmd!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const subscribers: ((line: string) => boolean)[] = [];
  const userLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!subscribers.some((s) => s(line))) userLines.push(line);
  });
  const stdoutLines: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not print "listening" within 60 s`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdoutLines.push(line);
      if (!line.startsWith('listening')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', () => (clearTimeout(timer), reject(new Error(`${cmd} exited: ${userLines.join('\n')}`))));
  });
  await listening;
  assert.equal(child.exitCode, null, `${cmd} exited before listening: ${userLines.join('\n')}`);
  return { child, port, tap: { subscribe: (c) => subscribers.push(c) }, userLines, stdoutLines };
}

/** `n` GETs over 8 keep-alive connections; bounded in count and by each request's 10 s timeout. */
async function load(port: number, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < n) {
      sent++;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/work', agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('timeout', () => req.destroy(new Error('request timeout')));
        req.on('error', reject);
        req.end();
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
}

async function openSource(probe: RuntimeProbe, s: Started, launched = true): Promise<RuntimeSource> {
  const source = await probe.open({
    pid: s.child.pid!,
    runtime: probe.runtimes[0]!,
    launched,
    ...(launched && { stderrLines: s.tap }),
  });
  assert.ok(!isUnavailable(source), isUnavailable(source) ? source.unavailable : '');
  return source;
}

/**
 * Warm-up load and a collection, the baseline at rest, the measured load with reads during it,
 * and a collection at rest again: what the heap kept of the measured load.
 */
async function keptByLoad(
  source: RuntimeSource,
  port: number,
  heap: keyof Sample,
): Promise<{ kept: number; during: Partial<Sample>[] }> {
  await load(port, 500);
  const before = await source.collect!();
  const during: Partial<Sample>[] = [];
  const loading = load(port, REQUESTS);
  let done = false;
  void loading.finally(() => (done = true));
  while (!done) {
    during.push(await source.read());
    await new Promise((r) => setTimeout(r, 200));
  }
  await loading;
  const after = await source.collect!();
  const b = before[heap] as number;
  const a = after[heap] as number;
  assert.ok(b > 0 && a > 0, `${heap} before ${b}, after ${a}`);
  return { kept: a - b, during };
}

const expected = REQUESTS * KEEP;
const MiB = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

test('Node.js inspector: the leaking server keeps what it keeps by construction, the other nothing', async (t) => {
  const probe = nodeInspectorProbe({ attach: false });
  for (const mode of ['keep', 'none'] as const) {
    const s = await start(t, (p) => [process.execPath, NODE_SERVER, String(p), mode], probe.launchEnv!({}));
    const source = await openSource(probe, s);
    const { kept, during } = await keptByLoad(source, s.port, 'inspHeapUsed');
    assert.ok(during.length >= 1 && during.every((d) => (d.inspHeapUsed ?? 0) > 0), 'reads during the load');
    t.diagnostic(
      `${mode}: V8 heap used after collectGarbage grew ${MiB(kept)} over ${REQUESTS} requests (${MiB(expected)} kept by construction)`,
    );
    if (mode === 'keep')
      assert.ok(Math.abs(kept - expected) <= 0.25 * expected, `kept ${MiB(kept)}, expected ${MiB(expected)}`);
    else assert.ok(kept < 0.1 * expected, `kept ${MiB(kept)} while keeping nothing`);
    await source.close();
    // The inspector's lines from the source's session on are the source's, not the user's (those
    // printed at start, before open() subscribed, are the tap's to hold back or not).
    assert.deepEqual(
      s.userLines.filter((l) => /Debugger (attached|ending)/.test(l)),
      [],
    );
  }
});

test('Node.js inspector: a user NODE_OPTIONS is extended, not replaced', () => {
  const probe = nodeInspectorProbe({ attach: false });
  assert.deepEqual(probe.launchEnv!({ NODE_OPTIONS: '--max-old-space-size=256' }), {
    NODE_OPTIONS: '--max-old-space-size=256 --inspect=127.0.0.1:0',
  });
  assert.deepEqual(probe.launchEnv!({}), { NODE_OPTIONS: '--inspect=127.0.0.1:0' });
  // A user's own inspector stays where they put it; the source finds it by the pid's ports.
  assert.deepEqual(probe.launchEnv!({ NODE_OPTIONS: '--inspect=0.0.0.0:9230' }), {});
});

test('Node.js inspector, attached by --pid with --inspect-attach: SIGUSR1 opens it', async (t) => {
  // --inspect-port=0: SIGUSR1's port is the kernel's pick here, not 9229, which other work on this machine may hold.
  const s = await start(t, (p) => [process.execPath, '--inspect-port=0', NODE_SERVER, String(p), 'keep'], {});
  const refused = await nodeInspectorProbe({ attach: false }).open({
    pid: s.child.pid!,
    runtime: 'node',
    launched: false,
  });
  assert.ok(isUnavailable(refused) && /--inspect-attach/.test(refused.unavailable));
  const source = await openSource(nodeInspectorProbe({ attach: true }), s, false);
  const r = await source.collect!();
  assert.ok((r.inspHeapUsed ?? 0) > 0 && (r.inspHeapTotal ?? 0) >= (r.inspHeapUsed ?? 0));
  await source.close();
});

test('Node.js inspector that does not open: unavailable, saying why', async (t) => {
  // Started without the launch environment (as a wrapper that resets NODE_OPTIONS would).
  const s = await start(t, (p) => [process.execPath, NODE_SERVER, String(p), 'none'], { NODE_OPTIONS: '' });
  const res = await nodeInspectorProbe({ attach: false }).open({
    pid: s.child.pid!,
    runtime: 'node',
    launched: true,
    stderrLines: s.tap,
  });
  assert.ok(isUnavailable(res));
  assert.match(res.unavailable, /without --inspect|no inspector port/);
});

test('JVM hsperfdata + attach GC.run: the leaking server keeps 8 KiB per request, the other nothing', async (t) => {
  if (!requireTool(t, 'java', 'a JDK 17+ (java)')) return;
  const probe = hsPerfDataProbe();
  assert.equal(probe.launchEnv, undefined, 'nothing added to JAVA_TOOL_OPTIONS');
  for (const mode of ['keep', 'none'] as const) {
    const s = await start(t, (p) => ['java', JAVA_SERVER, String(p), mode], {});
    const source = await openSource(probe, s);
    const { kept, during } = await keptByLoad(source, s.port, 'hsHeapUsed');
    assert.ok(during.length >= 1 && during.every((d) => (d.hsHeapCommitted ?? 0) > 0), 'reads during the load');
    const last = await source.read();
    assert.ok((last.hsFullGcs ?? 0) >= 2, 'GC.run ran full collections');
    assert.ok((last.hsThreads ?? 0) > 4 && (last.hsMetaspaceUsed ?? 0) > 0);
    t.diagnostic(
      `${mode}: Java heap used after GC.run grew ${MiB(kept)} over ${REQUESTS} requests (${MiB(expected)} kept by construction)`,
    );
    if (mode === 'keep')
      assert.ok(Math.abs(kept - expected) <= 0.25 * expected, `kept ${MiB(kept)}, expected ${MiB(expected)}`);
    else assert.ok(kept < 0.1 * expected, `kept ${MiB(kept)} while keeping nothing`);
    assert.deepEqual(
      s.userLines.filter((l) => /JAVA_TOOL_OPTIONS|Full thread dump/.test(l)),
      [],
    );
    await source.close();
  }
});

test('JVM with -XX:-UsePerfData: unavailable, saying so; attached --pid: the same source', async (t) => {
  if (!requireTool(t, 'java', 'a JDK 17+ (java)')) return;
  const off = await start(t, (p) => ['java', '-XX:-UsePerfData', JAVA_SERVER, String(p), 'none'], {});
  assert.deepEqual(await hsPerfDataProbe().open({ pid: off.child.pid!, runtime: 'jvm', launched: true }), {
    unavailable: 'no hsperfdata file: the JVM runs with -XX:-UsePerfData',
  });
  const on = await start(t, (p) => ['java', JAVA_SERVER, String(p), 'keep'], {});
  assert.equal(hsPerfDataProbe().attachable, true);
  const source = await openSource(hsPerfDataProbe(), on, false);
  const r = await source.collect!();
  assert.ok((r.hsHeapUsed ?? 0) > 0 && (r.hsFullGcs ?? 0) >= 1);
  await source.close();
});

test('JVM that refuses attach (-XX:+DisableAttachMechanism): collect says why, reads go on, no thread dump', async (t) => {
  if (!requireTool(t, 'java', 'a JDK 17+ (java)')) return;
  const s = await start(t, (p) => ['java', '-XX:+DisableAttachMechanism', JAVA_SERVER, String(p), 'none'], {});
  const source = await openSource(hsPerfDataProbe(), s);
  await assert.rejects(source.collect!(), /DisableAttachMechanism/);
  assert.ok(((await source.read()).hsHeapUsed ?? 0) > 0);
  assert.deepEqual(
    s.stdoutLines.filter((l) => /thread dump/i.test(l)),
    [],
  );
  await source.close();
});
