/**
 * Allocation sites (issue 24) from the Node.js inspector's sampling heap profiler and HotSpot's
 * class histogram, against real servers this file starts (test/fixtures/alloc-sites): per
 * GET /work one function (Node.js remember(), JVM Visit objects) keeps memory and another
 * (churn(), Scratch objects) makes 16 times as much garbage. Each source is opened through its
 * probe on the launched process; sites are read at rest after a collection before and after a
 * bounded load on loopback, and the keeping site must have grown most, the garbage one not above it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { nodeInspectorProbe, type InspectorSource } from '../../src/sample/runtime/node-inspector.ts';
import { hsPerfDataProbe } from '../../src/sample/runtime/hsperfdata.ts';
import {
  isUnavailable,
  type AllocationSite,
  type RuntimeProbe,
  type RuntimeSource,
  type SitesProfile,
  type StderrTap,
  type Unavailable,
} from '../../src/sample/runtime/source.ts';
import { requireTool } from '../helpers/tools.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites');
const NODE_SITE = 'remember (test/fixtures/alloc-sites/server.mjs:13)';
const REQUESTS = 2_000;
/** Node.js: enough for about 90 samples of remember()'s strings at the profiler's 128 KiB. */
const NODE_REQUESTS = 6_000;

interface Started {
  child: ChildProcess;
  port: number;
  tap: StderrTap;
  stderr: string[];
}

/** Starts argv (in the repository's root, so the sites' paths are relative to it); resolves on "listening". */
async function start(t: TestContext, argv: (port: number) => string[], env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const [cmd, ...args] = argv(port);
  const child = spawn(cmd!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const subscribers: ((line: string) => boolean)[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!subscribers.some((s) => s(line))) stderr.push(line);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not print "listening" within 60 s`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('listening')) resolve(clearTimeout(timer));
    });
    child.once('exit', () => (clearTimeout(timer), reject(new Error(`${cmd} exited: ${stderr.join('\n')}`))));
  });
  return { child, port, tap: { subscribe: (c) => subscribers.push(c) }, stderr };
}

/** `n` GET /work over 4 keep-alive connections: bounded in count, and each request by a 10 s timeout. */
async function load(port: number, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
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
  await Promise.all(Array.from({ length: 4 }, worker));
  agent.destroy();
}

async function open(probe: RuntimeProbe, s: Started, launched = true): Promise<RuntimeSource> {
  const source = await probe.open({
    pid: s.child.pid!,
    runtime: probe.runtimes[0]!,
    launched,
    ...(launched && { stderrLines: s.tap }),
  });
  assert.ok(!isUnavailable(source), isUnavailable(source) ? source.unavailable : '');
  return source;
}

/** As the run reads them at a rest's end: a collection, then the sites. */
async function sitesAtRest(source: RuntimeSource): Promise<SitesProfile> {
  await source.collect!();
  const p = await source.sites!();
  assert.ok(!noSites(p), noSites(p) ? p.unavailable : '');
  return p;
}

interface Growth {
  site: string;
  bytes: number;
  objects: number;
}

/** Growth per site between two profiles, most bytes first. */
function growth(before: readonly AllocationSite[], after: readonly AllocationSite[]): Growth[] {
  const was = new Map(before.map((s) => [s.site, s]));
  return after
    .map((s) => ({
      site: s.site,
      bytes: s.bytes - (was.get(s.site)?.bytes ?? 0),
      objects: (s.objects ?? 0) - (was.get(s.site)?.objects ?? 0),
    }))
    .sort((a, b) => b.bytes - a.bytes);
}

function noSites(p: SitesProfile | Unavailable): p is Unavailable {
  return 'unavailable' in p;
}

const KiB = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

/** Warm-up, sites at rest, the measured load, sites at rest again: what grew. */
async function grewOverLoad(t: TestContext, source: RuntimeSource, port: number, n: number) {
  await load(port, 200);
  const before = await sitesAtRest(source);
  await load(port, n);
  const t0 = performance.now();
  const after = await sitesAtRest(source);
  t.diagnostic(`collect() and sites() at rest took ${(performance.now() - t0).toFixed(0)} ms`);
  const grew = growth(before.sites, after.sites);
  const whole = after.totalBytes! - before.totalBytes!;
  const share = grew[0]!.bytes / whole;
  t.diagnostic(`the whole profile grew ${KiB(whole)}; the top site's share ${share.toFixed(3)}`);
  t.diagnostic(
    `grew most: ${grew
      .slice(0, 4)
      .map((g) => `${g.site} ${KiB(g.bytes)}`)
      .join('; ')}`,
  );
  return { before, after, grew, share };
}

test('Node.js sampling heap profiler: the keeping function grew most, the garbage maker not above it', async (t) => {
  const probe = nodeInspectorProbe({ attach: false });
  const s = await start(t, (p) => [process.execPath, join(FIXTURES, 'server.mjs'), String(p)], probe.launchEnv!({}));
  const source = await open(probe, s);
  const { after, grew, share } = await grewOverLoad(t, source, s.port, NODE_REQUESTS);
  assert.equal(grew[0]!.site, NODE_SITE);
  // 2,064 bytes a string on the V8 heap; the object holding it is rarely sampled.
  const expected = NODE_REQUESTS * 2064;
  assert.ok(Math.abs(grew[0]!.bytes - expected) < 0.35 * expected, `remember grew ${KiB(grew[0]!.bytes)}`);
  const churn = grew.find((g) => g.site.startsWith('churn ('));
  assert.ok(churn === undefined || churn.bytes < grew[0]!.bytes / 4, `churn grew ${KiB(churn?.bytes ?? 0)}`);
  // The whole profile is every sampled live byte, so the sites sum to it; the share column's base.
  assert.equal(
    after.totalBytes,
    after.sites.reduce((a, x) => a + x.bytes, 0),
  );
  assert.ok(share > 0.5 && share <= 1, `remember's share of the growth ${share}`);
  const top = after.sites.find((x) => x.site === NODE_SITE)!;
  assert.ok(top.samples! > 20 && top.stack!.includes(NODE_SITE));
  assert.match(after.method, /every 128 KiB allocated/);
  assert.equal(after.origin, 'inspector-sampling');
  assert.equal(after.raw.extension, 'heapprofile');
  assert.ok('head' in JSON.parse(String(after.raw.contents)), 'the raw profile is the one DevTools loads');
  await source.close();

  // The profiler went with the session: a new one starts from nothing, not from the old samples.
  const again = await open(probe, s);
  const fresh = await again.sites!();
  assert.ok(!noSites(fresh));
  const kept = fresh.sites.find((x) => x.site === NODE_SITE)?.bytes ?? 0;
  assert.ok(kept < expected / 10, `a new session sees ${KiB(kept)} of remember's`);
  // A session that drops is opened again with the profiler; the first profile after says what it misses.
  await (again as InspectorSource).session().close();
  const reopened = await sitesAtRest(again);
  assert.match(reopened.method, /started again at .* after the inspector connection dropped/);
  assert.doesNotMatch((await sitesAtRest(again)).method, /started again/);
  // Another session (a user's DevTools) stopping the process-wide profiler: sites() says so.
  await (again as InspectorSource).session().send('HeapProfiler.stopSampling');
  const stopped = await again.sites!();
  assert.ok(noSites(stopped) && /getSamplingProfile failed/.test(stopped.unavailable), JSON.stringify(stopped));
  await again.close();
  // --sites off: the source opens for the heap figures, and never starts the profiler.
  const unsampled = await open(nodeInspectorProbe({ attach: false, sampling: false }), s);
  const none = await unsampled.sites!();
  assert.ok(noSites(none) && /not started/.test(none.unavailable), JSON.stringify(none).slice(0, 200));
  await unsampled.close();
  assert.deepEqual(
    s.stderr.filter((l) => /Debugger (attached|ending)/.test(l)),
    [],
  );
});

test('Node.js attached with --inspect-attach (SIGUSR1): sampling starts when the source opens', async (t) => {
  const s = await start(t, (p) => [process.execPath, '--inspect-port=0', join(FIXTURES, 'server.mjs'), String(p)], {});
  // What was kept before the pack attached is not in any profile; what the load keeps afterwards is.
  // The profile is sampled (one sample about every 128 KiB), so a few hundred requests' worth is a
  // handful of samples: kept before attaching is 4,000 requests (about 63 samples), and the profile
  // at rest after 200 more (about 3) must show far less than those 4,000, not a tight count.
  await load(s.port, 4_000);
  const source = await open(nodeInspectorProbe({ attach: true }), s, false);
  const { before, grew } = await grewOverLoad(t, source, s.port, 2_000);
  const seenBefore = before.sites.find((x) => x.site === NODE_SITE)?.bytes ?? 0;
  assert.ok(seenBefore < (4_000 * 2064) / 3, `before: ${KiB(seenBefore)} of remember's`);
  assert.equal(grew[0]!.site, NODE_SITE);
  await source.close();
});

test('JVM class histogram (inspectheap -live): the kept class grew by exactly what was kept, the garbage class not above it', async (t) => {
  if (!requireTool(t, 'java', 'a JDK 17+ (java)')) return;
  const s = await start(t, (p) => ['java', join(FIXTURES, 'SitesServer.java'), String(p)], {});
  const source = await open(hsPerfDataProbe(), s);
  const { after, grew, share } = await grewOverLoad(t, source, s.port, REQUESTS);
  // The whole heap from the histogram's Total line; Visit is most of what grew.
  assert.ok(after.totalBytes! >= after.sites.reduce((a, x) => a + x.bytes, 0));
  assert.equal(
    after.totalObjects,
    after.sites.reduce((a, x) => a + x.objects!, 0),
  );
  assert.ok(share > 0.5 && share <= 1, `Visit's share of the growth ${share}`);
  // 8 Visit objects of 128 bytes a request, counted exactly: a histogram is not sampled.
  assert.deepEqual(grew[0], { site: 'SitesServer$Visit', bytes: REQUESTS * 8 * 128, objects: REQUESTS * 8 });
  const scratch = grew.find((g) => g.site === 'SitesServer$Scratch');
  assert.ok(scratch === undefined || scratch.bytes < grew[0]!.bytes / 10, `Scratch grew ${scratch?.bytes}`);
  assert.equal(after.origin, 'class-histogram');
  assert.match(String(after.raw.contents), /^\s*num\s+#instances\s+#bytes\s+class name/);
  assert.ok(after.sites.every((x) => x.kind === 'class' && x.objects !== undefined));
  assert.deepEqual(
    s.stderr.filter((l) => /thread dump/i.test(l)),
    [],
  );
  await source.close();
});

test('JVM that refuses attach: sites() unavailable, saying why; the figures go on', async (t) => {
  if (!requireTool(t, 'java', 'a JDK 17+ (java)')) return;
  const s = await start(
    t,
    (p) => ['java', '-XX:+DisableAttachMechanism', join(FIXTURES, 'SitesServer.java'), String(p)],
    {},
  );
  const source = await open(hsPerfDataProbe(), s);
  const p = await source.sites!();
  assert.ok(noSites(p));
  assert.match(p.unavailable, /^attach refused, no class histogram: .*DisableAttachMechanism/);
  await assert.rejects(source.collect!(), /no collection asked: .*DisableAttachMechanism/);
  assert.ok(((await source.read()).hsHeapUsed ?? 0) > 0);
  await source.close();
});
