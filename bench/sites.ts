/**
 * What allocation sites cost (issue 24), the `sites` section of `npm run bench`: a server per
 * runtime that keeps memory every request and makes garbage besides (Go with net/http/pprof,
 * Node.js, a JVM, Python), each run as the pack runs a target it starts with `--sites off` and
 * with `--sites on` (the default): the same launch environment, the same runtime sources opened
 * and read every second, a collection at rest before and after the measured burst; with `--sites
 * on` the profilers that run meanwhile (V8's sampling heap profiler, Python's tracemalloc) and an
 * allocation-site read at each rest. The target's CPU per request and its rate under the pack's
 * burst, the two modes back to back in each round (the first rotating), a fresh process each.
 *
 *   npm run bench -- --sections sites [--rounds 5] [--quick]
 *   npx tsx bench/sites.ts [--rounds 5] [--scale 1] [--runtimes go,node,jvm,python]
 *
 * And the measurements behind the pack's settings, run alone:
 *
 *   npx tsx bench/sites.ts --only node-intervals [--rounds 5]   V8's sampling interval against
 *       never started, and after a collection at rest (test/fixtures/alloc-sites, GET /work and /plain)
 *   npx tsx bench/sites.ts --only node-loop [--rounds 5]        the same on a loop that only allocates
 *   npx tsx bench/sites.ts --only at-rest [--live-mib 100]      collect() and sites() with 100 MiB live:
 *       Node.js's time, the JVM's safepoint pauses (-Xlog:safepoint)
 *   npx tsx bench/sites.ts --only python-socket [--rounds 5] [--requests 5000]   python-plain untraced
 *       with and without --nodelay and --backlog 128: what bounds its rate at 50 connections
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { diffSites } from '../src/analyse/alloc-sites.ts';
import { RuntimeSources } from '../src/run/runtime-sources.ts';
import { launchEnvironment } from '../src/sample/runtime/env.ts';
import type { SitesTaken } from '../src/rundir/schema.ts';
import { CdpClient } from '../src/sample/runtime/cdp-client.ts';
import { HsPerfDataSource, hsPerfDataProbe } from '../src/sample/runtime/hsperfdata.ts';
import { runtimeProbes } from '../src/sample/runtime/index.ts';
import { loopbackListeningPorts } from '../src/sample/runtime/loopback-listeners.ts';
import { InspectorSource, nodeInspectorProbe, SAMPLING_INTERVAL_BYTES } from '../src/sample/runtime/node-inspector.ts';
import { isUnavailable, type RuntimeProbe, type RuntimeSource } from '../src/sample/runtime/source.ts';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';
import { ensureGoBinary } from '../test/helpers/go-fixture.ts';
import { measureBurst, type BurstMeasurement } from './burst.ts';
import { renderSites } from './markdown-sites.ts';
import { loadAverage } from './proc.ts';
import { median, rotatedOrder } from './stats.ts';

export const SITES_RUNTIMES = ['go', 'node', 'jvm', 'python'] as const;
export type SitesRuntime = (typeof SITES_RUNTIMES)[number];
export type SitesMode = 'off' | 'on';

/** Connections of every burst here: the pack's default is 100; 50 is what the runtime sections use. */
const CONNECTIONS = 50;
const ALLOC_SITES = join(REPO_ROOT, 'test', 'fixtures', 'alloc-sites');

/** One leaking server: how it is started and asked, and the requests of one measured burst. */
interface SitesCase {
  runtime: SitesRuntime;
  /** What runs, in the results' words. */
  label: string;
  argv(port: number): string[];
  path: string;
  /** Requests of a measured burst at scale 1: a few seconds of this machine's rate, a few tens of MiB kept. */
  requests: number;
}

async function sitesCases(): Promise<SitesCase[]> {
  const go = await ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'go-plain'), 'fixture-go-plain', 'go-plain');
  return [
    {
      runtime: 'go',
      label: 'Go net/http with net/http/pprof (test/fixtures/go-plain): keeps 1 KiB, 4 KiB of garbage a request',
      argv: (p) => [go, '-pprof', '-leak-kib', '1', '-garbage-kib', '4', '-addr', `127.0.0.1:${p}`],
      path: '/',
      requests: 200_000,
    },
    {
      runtime: 'node',
      label:
        'Node.js node:http (test/fixtures/alloc-sites/server.mjs, GET /work): keeps 2 KiB, 32 KiB of garbage a request',
      argv: (p) => [process.execPath, join(ALLOC_SITES, 'server.mjs'), String(p)],
      path: '/work',
      requests: 40_000,
    },
    {
      runtime: 'jvm',
      label:
        'JDK HttpServer (test/fixtures/alloc-sites/SitesServer.java, GET /work, TCP_NODELAY): keeps 1 KiB in 8 objects, 32 KiB of garbage a request',
      // Without TCP_NODELAY the JDK's HttpServer waits on delayed ACKs, and its CPU would not show in its rate.
      argv: (p) => ['java', '-Dsun.net.httpserver.nodelay=true', join(ALLOC_SITES, 'SitesServer.java'), String(p)],
      path: '/work',
      requests: 50_000,
    },
    {
      runtime: 'python',
      label:
        'Python http.server (test/fixtures/python-plain, --nodelay --backlog 128: not held up by delayed ACKs or lost SYNs): keeps 1 KiB, 4 KiB of garbage a request',
      argv: (p) => [
        'python3',
        join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py'),
        '--leak-kib',
        '1',
        '--garbage-kib',
        '4',
        '--nodelay',
        '--backlog',
        '128',
        '--port',
        String(p),
      ],
      path: '/',
      requests: 30_000,
    },
  ];
}

/** One fresh target, started with `env`; resolves once `readyPath` answers. */
async function launch(
  argv: (port: number) => string[],
  readyPath: string,
  env: NodeJS.ProcessEnv,
): Promise<{ t: LaunchedTarget; base: URL; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-sites-'));
  const base = new URL(`http://127.0.0.1:${port}/`);
  const [file, ...args] = argv(port);
  const t = await launchTarget({
    command: { file: file!, args },
    readyUrl: new URL(readyPath, base),
    readyTimeoutMs: 60_000,
    logFile: join(dir, 'target.log'),
    env,
    // stderr through the pack, as for a run: gctrace's lines are read from it.
    runtimeLogFile: join(dir, 'target-runtime.log'),
  });
  return { t, base, dir };
}

/** The pack's burst engine (`--engine net`), `n` requests to `url` on loopback. */
function burst(t: LaunchedTarget, url: URL, n: number): Promise<BurstMeasurement> {
  return measureBurst('pack-net', {
    url,
    targetPid: t.pid,
    requests: n,
    connections: CONNECTIONS,
    wrkSeconds: 2,
    timeoutMs: 10_000,
  });
}

/** One measured burst of one runtime in one mode. */
export interface SitesRun {
  runtime: SitesRuntime;
  mode: SitesMode;
  round: number;
  requests: number;
  rate: number;
  /** The target's CPU per 1,000 requests during the burst: what a profiler adds, less moved by other jobs than the rate. */
  targetCpuMsPerKreq: number;
  /** CPU other jobs used meanwhile, in cores. */
  otherCores: number;
  /** `--sites on`: each allocation-site read at rest, ms (before the burst, after it). */
  readMs?: number[];
  /** `--sites on`: the site that grew most over the burst, from the two reads. */
  top?: { site: string; bytesPer1k?: number; share?: number };
  /** `--sites on` with no sites: why. */
  unavailable?: string;
}

export interface SitesCostResults {
  rounds: number;
  connections: number;
  cases: { runtime: SitesRuntime; label: string; requests: number }[];
  runs: SitesRun[];
}

/** Reads every source once a second, as the sampler does at its default interval; the returned function stops it. */
function readEverySecond(sources: RuntimeSources): () => Promise<void> {
  let busy: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    busy ??= Promise.all(sources.readers().map((r) => r.read().catch(() => undefined))).finally(
      () => (busy = undefined),
    );
  }, 1000);
  return async () => {
    clearInterval(timer);
    await busy;
  };
}

interface RestRead {
  taken?: SitesTaken;
  ms?: number;
  unavailable?: string;
}

/** A rest's end as a run does it: a collection, then, with --sites on, the sites (timed). */
async function atRest(sources: RuntimeSources, mode: SitesMode, label: string): Promise<RestRead> {
  await sources.collect();
  if (mode === 'off') return {};
  const t0 = performance.now();
  const all = await sources.sites();
  const ms = performance.now() - t0;
  for (const { source, profile: p } of all)
    if (!isUnavailable(p))
      return {
        ms,
        taken: {
          t: performance.now() / 1000,
          label,
          source,
          origin: p.origin,
          method: p.method,
          sites: p.sites,
          ...(p.totalBytes !== undefined && { totalBytes: p.totalBytes }),
          ...(p.totalObjects !== undefined && { totalObjects: p.totalObjects }),
        },
      };
  return { ms, unavailable: all.map((s) => (isUnavailable(s.profile) ? s.profile.unavailable : '')).join('; ') };
}

/**
 * A fresh target in `mode`, as a run has it: the pack's launch environment and runtime sources
 * (`--sites off`: no tracemalloc, no sampling heap profiler), read every second; a warm-up burst
 * of half the requests, a rest's end, the measured burst, a rest's end.
 */
async function measureOnce(c: SitesCase, mode: SitesMode, round: number, requests: number): Promise<SitesRun> {
  const probes = runtimeProbes({ pythonTrace: mode === 'on', nodeSampling: mode === 'on' });
  const env = launchEnvironment(process.env, probes);
  const { t, base } = await launch(c.argv, c.path, env);
  const url = new URL(c.path, base);
  let sources: RuntimeSources | undefined;
  let stopReading = async () => {};
  try {
    sources = await RuntimeSources.open(
      { pid: t.pid, launched: true, baseUrl: base, ...(t.stderrLines && { stderrLines: t.stderrLines }) },
      { info: () => {}, warn: () => {} },
      probes,
    );
    stopReading = readEverySecond(sources);
    // Half a burst first: a JVM is still compiling after a fifth, and its compiler's CPU would count.
    await burst(t, url, Math.max(1000, Math.floor(requests / 2)));
    const before = await atRest(sources, mode, 'before');
    const m = await burst(t, url, requests);
    const after = await atRest(sources, mode, 'after');
    const run: SitesRun = {
      runtime: c.runtime,
      mode,
      round,
      requests,
      rate: m.rate,
      targetCpuMsPerKreq: m.targetCpuMsPerKreq,
      otherCores: m.otherCores,
    };
    if (mode === 'on') {
      run.readMs = [before.ms, after.ms].filter((x): x is number => x !== undefined).map((x) => Math.round(x));
      if (before.taken && after.taken) {
        const top = diffSites(before.taken, after.taken, m.requests).sites[0];
        if (top)
          run.top = {
            site: top.site,
            ...(top.bytesPer1k !== undefined && { bytesPer1k: top.bytesPer1k }),
            ...(top.share !== undefined && { share: top.share }),
          };
      } else run.unavailable = before.unavailable ?? after.unavailable ?? 'no sites';
    }
    return run;
  } finally {
    await stopReading();
    await sources?.close();
    await t.stop(2000);
  }
}

export interface SitesPlan {
  rounds: number;
  /** Requests of each case's measured burst are its default times this (a smoke run: small). */
  scale: number;
  runtimes: readonly SitesRuntime[];
  /** Before each measurement (the benchmark's quiet gate); none when run alone. */
  beforeEach?: () => Promise<void>;
}

/**
 * Every runtime once per round, each in both modes back to back (which first rotates by round),
 * so a pair shares whatever the machine was doing.
 */
export async function measureSitesCost(plan: SitesPlan, log: (line: string) => void): Promise<SitesCostResults> {
  const cases = (await sitesCases()).filter((c) => plan.runtimes.includes(c.runtime));
  const orders = rotatedOrder(['off', 'on'] as const, plan.rounds);
  const runs: SitesRun[] = [];
  for (const [i, order] of orders.entries())
    for (const c of cases) {
      const requests = Math.max(1000, Math.round(c.requests * plan.scale));
      for (const mode of order) {
        await plan.beforeEach?.();
        const r = await measureOnce(c, mode, i + 1, requests);
        runs.push(r);
        const top = r.top
          ? `; grew most: ${r.top.site}${r.top.share !== undefined ? ` (${Math.round(r.top.share * 100)}%)` : ''}`
          : '';
        log(
          `sites round ${i + 1}/${plan.rounds} ${c.runtime} --sites ${mode}: ${r.targetCpuMsPerKreq.toFixed(1)} CPU ms/1k req, ${Math.round(r.rate).toLocaleString('en-US')} req/s, others ${r.otherCores.toFixed(2)} cores${r.readMs ? `; sites read ${r.readMs.join(', ')} ms` : ''}${top}${r.unavailable ? `; no sites: ${r.unavailable}` : ''}`,
        );
      }
    }
  return {
    rounds: plan.rounds,
    connections: CONNECTIONS,
    cases: cases.map((c) => ({
      runtime: c.runtime,
      label: c.label,
      requests: Math.max(1000, Math.round(c.requests * plan.scale)),
    })),
    runs,
  };
}

// The measurements behind the pack's settings (--only), run alone.

/** A source opened through its probe on a launched target, as a run opens it. */
async function openOn(t: LaunchedTarget, probe: RuntimeProbe, runtime: 'node' | 'jvm'): Promise<RuntimeSource> {
  const s = await probe.open({
    pid: t.pid,
    runtime,
    launched: true,
    ...(t.stderrLines && { stderrLines: t.stderrLines }),
  });
  if (isUnavailable(s)) throw new Error(s.unavailable);
  return s;
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

const COARSE_INTERVAL = 512 * 1024;

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

const nodeLaunchEnv = () => launchEnvironment(process.env, [nodeInspectorProbe({ attach: false })]);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** One fresh Node.js server in `mode`, after a warm-up burst: its rate and CPU per 1,000 requests. */
async function nodeRate(path: string, requests: number, mode: NodeMode): Promise<{ rate: number; cpu: number }> {
  const { t, base } = await launch(
    (port) => [process.execPath, join(ALLOC_SITES, 'server.mjs'), String(port)],
    '/plain',
    nodeLaunchEnv(),
  );
  try {
    if (mode.before === 'session-closed') {
      const first = await bareSession(t, Number(base.port));
      await first.startSampling();
      await first.close();
    }
    const source = await bareSession(t, Number(base.port));
    try {
      if (mode.interval > 0)
        await source.session().send('HeapProfiler.startSampling', { samplingInterval: mode.interval });
      await burst(t, new URL(path, base), Math.floor(requests / 5));
      if (mode.before === 'rest-read') {
        await source.collect();
        if (mode.interval > 0) await source.sites();
      }
      const m = await burst(t, new URL(path, base), requests);
      return { rate: m.rate, cpu: m.targetCpuMsPerKreq };
    } finally {
      await source.close();
    }
  } finally {
    await t.stop(2000);
  }
}

async function nodeIntervals(rounds: number, requests: Record<string, number>, log: (l: string) => void) {
  for (const [path, n] of Object.entries(requests)) {
    const runs = new Map<NodeMode, { rate: number; cpu: number }[]>(NODE_MODES.map((m) => [m, []]));
    for (const order of rotatedOrder(NODE_MODES, rounds))
      for (const m of order) {
        const r = await nodeRate(path, n, m);
        runs.get(m)!.push(r);
        log(`node ${path}, ${m.name}: ${Math.round(r.rate)} req/s, ${r.cpu.toFixed(1)} CPU ms/1k req`);
      }
    const off = runs.get(NODE_MODES[0]!)!;
    for (const m of NODE_MODES.slice(1)) {
      const on = runs.get(m)!;
      const rate = median(on.map((r, i) => r.rate / off[i]!.rate - 1));
      const cpu = median(on.map((r, i) => r.cpu / off[i]!.cpu - 1));
      log(
        `RESULT node GET ${path}, ${n} requests, ${rounds} rounds, ${m.name} against never started: req/s ${Math.round(median(off.map((r) => r.rate)))} -> ${Math.round(median(on.map((r) => r.rate)))} (${pct(rate)}), target CPU ms/1k req ${median(off.map((r) => r.cpu)).toFixed(1)} -> ${median(on.map((r) => r.cpu)).toFixed(1)} (${pct(cpu)}) (medians of rounds)`,
      );
    }
  }
}

/** The profiler's cost on a loop that only allocates (bench/child/sampling-loop.ts), per interval. */
function nodeLoop(rounds: number, log: (l: string) => void): void {
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
    log(
      `RESULT node allocation loop (300,000 x 2 KiB string + small objects), ${rounds} rounds, sampling every ${m / 1024} KiB against never started: CPU ms ${median(off).toFixed(0)} -> ${median(on).toFixed(0)} (${pct(median(on.map((x, i) => x / off[i]! - 1)))}, median of rounds)`,
    );
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

/** collect() then sites() at rest with `mib` MiB live: a Node.js server sampling, then a JVM (its pauses). */
async function atRestCost(mib: number, log: (l: string) => void): Promise<void> {
  const node = await launch(
    (port) => [process.execPath, join(ALLOC_SITES, 'server.mjs'), String(port), String(mib)],
    '/plain',
    nodeLaunchEnv(),
  );
  const ns = await openOn(node.t, nodeInspectorProbe({ attach: false }), 'node');
  try {
    await (await fetch(new URL('/preload', node.base), { signal: AbortSignal.timeout(60_000) })).text();
    for (let i = 0; i < 3; i++) {
      let t0 = performance.now();
      const c = await ns.collect!();
      const collectMs = performance.now() - t0;
      t0 = performance.now();
      const p = await ns.sites!();
      const sitesMs = performance.now() - t0;
      if (isUnavailable(p)) throw new Error(p.unavailable);
      log(
        `RESULT node ${mib} MiB kept: heap used ${((c.inspHeapUsed ?? 0) / 2 ** 20).toFixed(0)} MiB, collect() ${collectMs.toFixed(0)} ms, sites() ${sitesMs.toFixed(0)} ms, profile ${(String(p.raw.contents).length / 1024).toFixed(0)} KiB, top ${p.sites[0]?.site} ${((p.sites[0]?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  } finally {
    await ns.close();
    await node.t.stop(2000);
  }
  const safepoints = join(mkdtempSync(join(tmpdir(), 'leakbench-bench-jvm-')), 'safepoint.log');
  const jvm = await launch(
    (port) => [
      'java',
      `-Xlog:safepoint:file=${safepoints}`,
      join(ALLOC_SITES, 'SitesServer.java'),
      String(port),
      String(mib),
    ],
    '/plain',
    process.env,
  );
  const js = (await openOn(jvm.t, hsPerfDataProbe(), 'jvm')) as HsPerfDataSource;
  try {
    for (let i = 0; i < 3; i++) {
      let at = statSync(safepoints).size;
      let t0 = performance.now();
      const c = await js.collect();
      const gcMs = performance.now() - t0;
      const gcPauses = pausesSince(safepoints, at);
      at = statSync(safepoints).size;
      t0 = performance.now();
      const p = await js.sites();
      const histoMs = performance.now() - t0;
      if (isUnavailable(p)) throw new Error(p.unavailable);
      log(
        `RESULT jvm ${mib} MiB kept: heap used ${((c.hsHeapUsed ?? 0) / 2 ** 20).toFixed(0)} MiB, GC.run ${gcMs.toFixed(0)} ms (pauses: ${gcPauses}), inspectheap -live ${histoMs.toFixed(0)} ms (pauses: ${pausesSince(safepoints, at)}), ${p.sites.length} classes, top ${p.sites[0]?.site} ${((p.sites[0]?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
      );
    }
  } finally {
    await js.close();
    await jvm.t.stop(2000);
  }
}

/**
 * What bounds python-plain's rate at 50 connections, untraced: socketserver's listen backlog of 5
 * (SYNs lost when the connections open at once, retried a second or more later) or delayed ACKs
 * (http.server sends the headers and the body apart). Each variant a fresh process, rotated.
 */
async function pythonSocket(rounds: number, requests: number, log: (l: string) => void): Promise<void> {
  const variants = [[], ['--nodelay'], ['--backlog', '128'], ['--nodelay', '--backlog', '128']];
  const server = join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py');
  const runs = new Map<string[], BurstMeasurement[]>(variants.map((x) => [x, []]));
  for (const order of rotatedOrder(variants, rounds))
    for (const flags of order) {
      const { t, base } = await launch(
        (port) => ['python3', server, '--leak-kib', '1', '--garbage-kib', '4', ...flags, '--port', String(port)],
        '/',
        process.env,
      );
      try {
        await burst(t, base, Math.floor(requests / 5));
        const m = await burst(t, base, requests);
        runs.get(flags)!.push(m);
        log(
          `python-plain ${flags.join(' ') || '(defaults)'}: ${Math.round(m.rate)} req/s, ${m.targetCpuMsPerKreq.toFixed(1)} CPU ms/1k req`,
        );
      } finally {
        await t.stop(2000);
      }
    }
  for (const [flags, ms] of runs)
    log(
      `RESULT python-plain ${flags.join(' ') || '(defaults)'}, ${requests} requests over ${CONNECTIONS} connections, ${rounds} rounds: req/s ${ms.map((m) => Math.round(m.rate)).join(', ')} (median ${Math.round(median(ms.map((m) => m.rate)))}), target CPU ms/1k req median ${median(ms.map((m) => m.targetCpuMsPerKreq)).toFixed(1)}`,
    );
}

async function main(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      scale: { type: 'string', default: '1' },
      runtimes: { type: 'string', default: SITES_RUNTIMES.join(',') },
      only: { type: 'string' },
      work: { type: 'string', default: '20000' },
      plain: { type: 'string', default: '50000' },
      'live-mib': { type: 'string', default: '100' },
      requests: { type: 'string', default: '5000' },
    },
    strict: true,
  });
  const rounds = Number(v.rounds);
  const log = (l: string) => console.error(l);
  if (v.only === 'node-intervals')
    await nodeIntervals(rounds, { '/work': Number(v.work), '/plain': Number(v.plain) }, log);
  else if (v.only === 'node-loop') nodeLoop(rounds * 2, log);
  else if (v.only === 'at-rest') await atRestCost(Number(v['live-mib']), log);
  else if (v.only === 'python-socket') await pythonSocket(rounds, Number(v.requests), log);
  else if (v.only !== undefined)
    throw new Error(`--only: expected node-intervals, node-loop, at-rest or python-socket, got ${v.only}`);
  else {
    const runtimes = v.runtimes
      .split(',')
      .filter((r): r is SitesRuntime => (SITES_RUNTIMES as readonly string[]).includes(r));
    const before = loadAverage();
    const results = await measureSitesCost({ rounds, scale: Number(v.scale), runtimes }, log);
    process.stdout.write(renderSites(results, { before, after: loadAverage() }).join('\n') + '\n');
    return;
  }
  log(`load average at the end: ${loadAverage().join(' ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
