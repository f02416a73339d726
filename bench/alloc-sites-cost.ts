/**
 * What allocation sites (issue 24) cost a target, on test/fixtures/alloc-sites:
 *
 * - Node.js server: requests per second and the target's CPU per 1,000 requests (less moved by
 *   other jobs on a shared machine) with V8's sampling heap profiler never started, at three
 *   intervals, after a read at rest, and after the pack's session closed (NODE_MODES); an
 *   inspector session open in every mode. GET /work (36 KiB allocated a request, 2 KiB kept) and
 *   GET /plain. Modes in rotated order, a fresh process each, medians of per-round ratios.
 * - Node.js, the worst case: a loop that only allocates, one process per interval and round.
 * - Node.js at rest with 100 MiB kept while sampling: how long collect() and sites() take.
 * - JVM with about 100 MiB of small objects live: the pause of `inspectheap -live` (the
 *   safepoint's time from -Xlog:safepoint) and of GC.run, and the wall time of each call.
 *
 *   node --import tsx bench/alloc-sites-cost.ts [--rounds 5] [--work 20000] [--plain 50000] [--live-mib 100]
 *                                               [--only node-rate|node-loop|node-rest|jvm]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HsPerfDataSource, hsPerfDataProbe } from '../src/sample/runtime/hsperfdata.ts';
import { CdpClient } from '../src/sample/runtime/cdp-client.ts';
import { loopbackListeningPorts } from '../src/sample/runtime/loopback-listeners.ts';
import { InspectorSource, nodeInspectorProbe, SAMPLING_INTERVAL_BYTES } from '../src/sample/runtime/node-inspector.ts';
import { isUnavailable, type RuntimeSource } from '../src/sample/runtime/source.ts';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';
import { measureBurst } from './burst.ts';
import { median, rotatedOrder } from './stats.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites');
const COARSE_INTERVAL = 512 * 1024;

async function launch(file: string, args: (port: number) => string[], env: NodeJS.ProcessEnv, readyPath = '/plain') {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-sites-'));
  const base = new URL(`http://127.0.0.1:${port}/`);
  const t = await launchTarget({
    command: { file, args: args(port) },
    readyUrl: new URL(readyPath, base),
    readyTimeoutMs: 60_000,
    logFile: join(dir, 'target.log'),
    env,
    runtimeLogFile: join(dir, 'target-runtime.log'),
  });
  return { t, base, dir };
}

async function openOn(t: LaunchedTarget, probeFor: 'node' | 'jvm'): Promise<RuntimeSource> {
  const probe = probeFor === 'node' ? nodeInspectorProbe({ attach: false }) : hsPerfDataProbe();
  const s = await probe.open({
    pid: t.pid,
    runtime: probeFor,
    launched: true,
    ...(t.stderrLines && { stderrLines: t.stderrLines }),
  });
  if (isUnavailable(s)) throw new Error(s.unavailable);
  return s;
}

interface Rate {
  rate: number;
  /** The target's CPU per 1,000 requests: what the profiler adds, less moved by other jobs than req/s. */
  cpuMsPerKreq: number;
}

/**
 * An inspector session of our own on a launched Node.js server, the profiler not started: the
 * probe would start it at the pack's interval, and stopping it is not the same as never starting
 * it (HeapProfiler.stopSampling builds its profile after a forced full collection, and a Node.js
 * process runs slower after one: the mode 'never started, after collect() at rest' measures it).
 */
async function bareSession(t: LaunchedTarget, serverPort: number): Promise<InspectorSource> {
  for (let tries = 0; tries < 50; tries++) {
    if (t.exit) throw new Error(`the server exited (${JSON.stringify(t.exit)}) before its inspector was found`);
    for (const port of loopbackListeningPorts(t.pid).filter((p) => p !== serverPort)) {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
        webSocketDebuggerUrl: string;
      }[];
      const url = list[0]?.webSocketDebuggerUrl;
      if (url) return new InspectorSource(await CdpClient.connect(url), url);
    }
    await sleep(100);
  }
  throw new Error(`no inspector port of pid ${t.pid}`);
}

/**
 * How the target's profiler stands during the measured burst: never started; sampling at an
 * interval; at the pack's interval after a read at rest (collect() and sites(), as the burst
 * after a rest runs); or started and its session closed (what --inspect-attach leaves behind).
 */
interface NodeMode {
  name: string;
  interval: number;
  before?: 'rest-read' | 'session-closed';
}

const NODE_MODES: readonly NodeMode[] = [
  { name: 'never started', interval: 0 },
  { name: 'every 32 KiB', interval: 32 * 1024 },
  { name: `every ${SAMPLING_INTERVAL_BYTES / 1024} KiB (the pack's)`, interval: SAMPLING_INTERVAL_BYTES },
  { name: `every ${COARSE_INTERVAL / 1024} KiB`, interval: COARSE_INTERVAL },
  { name: "the pack's, after collect() and sites() at rest", interval: SAMPLING_INTERVAL_BYTES, before: 'rest-read' },
  // What the collection at rest does alone, sampling or not (it is the run's since issue 21).
  { name: 'never started, after collect() at rest', interval: 0, before: 'rest-read' },
  { name: 'started, then its session closed', interval: 0, before: 'session-closed' },
];

/** One fresh Node.js server in `mode`, after a warm-up burst. */
async function nodeRate(path: string, requests: number, mode: NodeMode): Promise<Rate> {
  const { t, base } = await launch(process.execPath, (port) => [join(FIXTURES, 'server.mjs'), String(port)], {
    ...process.env,
    ...nodeInspectorProbe({ attach: false }).launchEnv!(process.env),
  });
  if (mode.before === 'session-closed') {
    const first = await bareSession(t, Number(base.port));
    await first.startSampling();
    await first.close();
  }
  const source = await bareSession(t, Number(base.port));
  try {
    if (mode.interval > 0)
      await source.session().send('HeapProfiler.startSampling', { samplingInterval: mode.interval });
    const burst = (n: number) =>
      measureBurst('pack-net', {
        url: new URL(path, base),
        targetPid: t.pid,
        requests: n,
        connections: 50,
        wrkSeconds: 2,
        timeoutMs: 10_000,
      });
    await burst(Math.floor(requests / 5));
    if (mode.before === 'rest-read') {
      await source.collect();
      if (mode.interval > 0) await source.sites();
    }
    const m = await burst(requests);
    return { rate: m.rate, cpuMsPerKreq: m.targetCpuMsPerKreq };
  } finally {
    await source.close();
    await t.stop(2000);
  }
}

async function nodeCost(rounds: number, requests: Record<string, number>, log: (l: string) => void) {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  for (const [path, n] of Object.entries(requests)) {
    const runs = new Map<NodeMode, Rate[]>(NODE_MODES.map((m) => [m, []]));
    for (const order of rotatedOrder(NODE_MODES, rounds))
      for (const m of order) {
        const r = await nodeRate(path, n, m);
        runs.get(m)!.push(r);
        log(`node ${path}, ${m.name}: ${Math.round(r.rate)} req/s, ${r.cpuMsPerKreq.toFixed(1)} CPU ms/1k req`);
      }
    const off = runs.get(NODE_MODES[0]!)!;
    for (const m of NODE_MODES.slice(1)) {
      const on = runs.get(m)!;
      const rate = median(on.map((r, i) => r.rate / off[i]!.rate - 1));
      const cpu = median(on.map((r, i) => r.cpuMsPerKreq / off[i]!.cpuMsPerKreq - 1));
      log(
        `RESULT node GET ${path}, ${n} requests, ${rounds} rounds, ${m.name} against never started: req/s ${Math.round(median(off.map((r) => r.rate)))} -> ${Math.round(median(on.map((r) => r.rate)))} (${pct(rate)}), target CPU ms/1k req ${median(off.map((r) => r.cpuMsPerKreq)).toFixed(1)} -> ${median(on.map((r) => r.cpuMsPerKreq)).toFixed(1)} (${pct(cpu)}) (medians of rounds)`,
      );
    }
  }
}

/** The profiler's cost on a loop that only allocates (bench/child/sampling-loop.ts), per interval. */
function nodeLoopCost(rounds: number, log: (l: string) => void): void {
  const intervals = [0, 32 * 1024, SAMPLING_INTERVAL_BYTES, COARSE_INTERVAL];
  const ms = new Map<number, number[]>(intervals.map((m) => [m, []]));
  const child = join(REPO_ROOT, 'bench', 'child', 'sampling-loop.ts');
  for (const order of rotatedOrder(intervals, rounds))
    for (const m of order) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', child, '300000', String(m)], {
        encoding: 'utf8',
        cwd: REPO_ROOT,
      });
      ms.get(m)!.push(Number(out.trim()));
    }
  const off = ms.get(0)!;
  for (const m of intervals.slice(1)) {
    const on = ms.get(m)!;
    const change = median(on.map((x, i) => x / off[i]! - 1));
    log(
      `RESULT node allocation loop (300,000 x 2 KiB string + small objects), ${rounds} rounds, sampling every ${m / 1024} KiB against never started: CPU ms ${median(off).toFixed(0)} -> ${median(on).toFixed(0)} (${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%, median of rounds)`,
    );
  }
}

/** collect() then sites() on a Node.js server keeping `mib` MiB allocated while sampling. */
async function nodeAtRest(mib: number, log: (l: string) => void): Promise<void> {
  const probe = nodeInspectorProbe({ attach: false });
  const { t, base } = await launch(
    process.execPath,
    (port) => [join(FIXTURES, 'server.mjs'), String(port), String(mib)],
    {
      ...process.env,
      ...probe.launchEnv!(process.env),
    },
  );
  const source = await openOn(t, 'node');
  try {
    await (await fetch(new URL('/preload', base), { signal: AbortSignal.timeout(60_000) })).text();
    for (let i = 0; i < 3; i++) {
      let t0 = performance.now();
      const c = await source.collect!();
      const collectMs = performance.now() - t0;
      t0 = performance.now();
      const p = await source.sites!();
      const sitesMs = performance.now() - t0;
      if ('unavailable' in p) throw new Error(p.unavailable);
      log(
        `RESULT node ${mib} MiB kept: heap used ${((c.inspHeapUsed ?? 0) / 2 ** 20).toFixed(0)} MiB, collect() ${collectMs.toFixed(0)} ms, sites() ${sitesMs.toFixed(0)} ms, profile ${(String(p.raw.contents).length / 1024).toFixed(0)} KiB, top ${p.sites[0]?.site} ${((p.sites[0]?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  } finally {
    await source.close();
    await t.stop(2000);
  }
}

/** Safepoint pauses logged since `offset` of the -Xlog:safepoint file, in ms, by VM operation. */
function pausesSince(file: string, offset: number): string {
  const text = readFileSync(file, 'utf8').slice(offset);
  const out: string[] = [];
  for (const m of text.matchAll(/Safepoint "([^"]+)".*Total: (\d+) ns/g))
    if (Number(m[2]) > 1e6) out.push(`${m[1]} ${(Number(m[2]) / 1e6).toFixed(0)} ms`);
  return out.join(', ') || 'none over 1 ms';
}

async function jvmAtRest(mib: number, log: (l: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-jvm-'));
  const safepoints = join(dir, 'safepoint.log');
  const { t } = await launch(
    'java',
    (port) => [`-Xlog:safepoint:file=${safepoints}`, join(FIXTURES, 'SitesServer.java'), String(port), String(mib)],
    process.env,
  );
  const source = (await openOn(t, 'jvm')) as HsPerfDataSource;
  try {
    for (let i = 0; i < 3; i++) {
      let at = statSync(safepoints).size;
      let t0 = performance.now();
      const c = await source.collect();
      const gcMs = performance.now() - t0;
      const gcPauses = pausesSince(safepoints, at);
      at = statSync(safepoints).size;
      t0 = performance.now();
      const p = await source.sites();
      const histoMs = performance.now() - t0;
      if ('unavailable' in p) throw new Error(p.unavailable);
      log(
        `RESULT jvm ${mib} MiB kept: heap used ${((c.hsHeapUsed ?? 0) / 2 ** 20).toFixed(0)} MiB, GC.run ${gcMs.toFixed(0)} ms (pauses: ${gcPauses}), inspectheap -live ${histoMs.toFixed(0)} ms (pauses: ${pausesSince(safepoints, at)}), ${p.sites.length} classes, top ${p.sites[0]?.site} ${((p.sites[0]?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  } finally {
    await source.close();
    await t.stop(2000);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      work: { type: 'string', default: '20000' },
      plain: { type: 'string', default: '50000' },
      'live-mib': { type: 'string', default: '100' },
      only: { type: 'string' },
    },
  });
  const log = (l: string) => console.log(l);
  const only = values.only;
  const mib = Number(values['live-mib']);
  if (only === undefined || only === 'node-rate')
    await nodeCost(Number(values.rounds), { '/work': Number(values.work), '/plain': Number(values.plain) }, log);
  if (only === undefined || only === 'node-loop') nodeLoopCost(Number(values.rounds) * 2, log);
  if (only === undefined || only === 'node-rest') await nodeAtRest(mib, log);
  if (only === undefined || only === 'jvm') await jvmAtRest(mib, log);
  log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

await main();
