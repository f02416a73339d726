/**
 * What allocation sites (issue 24) cost a target, on test/fixtures/alloc-sites:
 *
 * - Node.js: requests per second with V8's sampling heap profiler off and on (at the source's
 *   interval, and a coarser one), the inspector session open in every mode so that only the
 *   profiler differs; GET /work (34 KiB allocated a request, 2 KiB kept) and GET /plain. Modes
 *   in rotated order, a fresh process each, the median ratio reported. Then, with 100 MiB kept
 *   while sampling, how long collect() and sites() take.
 * - JVM: with about 100 MiB of small objects live, the pause of `inspectheap -live` (the
 *   safepoint's time from -Xlog:safepoint) and of GC.run, and the wall time of each call.
 *
 *   node --import tsx bench/alloc-sites-cost.ts [--rounds 5] [--work 20000] [--plain 50000] [--live-mib 100]
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HsPerfDataSource, hsPerfDataProbe } from '../src/sample/runtime/hsperfdata.ts';
import {
  nodeInspectorProbe,
  SAMPLING_INTERVAL_BYTES,
  type InspectorSource,
} from '../src/sample/runtime/node-inspector.ts';
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

/** req/s of one fresh Node.js server with the profiler at `interval` bytes (0: stopped). */
async function nodeRate(path: string, requests: number, interval: number): Promise<number> {
  const probe = nodeInspectorProbe({ attach: false });
  const { t, base } = await launch(process.execPath, (port) => [join(FIXTURES, 'server.mjs'), String(port)], {
    ...process.env,
    ...probe.launchEnv!(process.env),
  });
  const source = (await openOn(t, 'node')) as InspectorSource;
  try {
    const session = source.session();
    if (interval !== SAMPLING_INTERVAL_BYTES) await session.send('HeapProfiler.stopSampling');
    if (interval > 0 && interval !== SAMPLING_INTERVAL_BYTES)
      await session.send('HeapProfiler.startSampling', { samplingInterval: interval });
    const burst = async (n: number) =>
      (
        await measureBurst('pack-net', {
          url: new URL(path, base),
          targetPid: t.pid,
          requests: n,
          connections: 50,
          wrkSeconds: 2,
          timeoutMs: 10_000,
        })
      ).rate;
    await burst(Math.floor(requests / 5));
    return await burst(requests);
  } finally {
    await source.close();
    await t.stop(2000);
  }
}

async function nodeCost(rounds: number, requests: Record<string, number>, log: (l: string) => void) {
  const modes = [0, SAMPLING_INTERVAL_BYTES, COARSE_INTERVAL];
  const name = (m: number) => (m === 0 ? 'off' : `every ${m / 1024} KiB`);
  for (const [path, n] of Object.entries(requests)) {
    const rates = new Map<number, number[]>(modes.map((m) => [m, []]));
    for (const order of rotatedOrder(modes, rounds))
      for (const m of order) {
        const r = await nodeRate(path, n, m);
        rates.get(m)!.push(r);
        log(`node ${path} sampling ${name(m)}: ${Math.round(r)} req/s`);
      }
    const off = rates.get(0)!;
    for (const m of modes.slice(1)) {
      const on = rates.get(m)!;
      const change = median(on.map((r, i) => r / off[i]! - 1));
      log(
        `RESULT node GET ${path}, ${n} requests, ${rounds} rounds: off ${Math.round(median(off))} req/s, ${name(m)} ${Math.round(median(on))} req/s, change ${(change * 100).toFixed(1)}% (median of rounds)`,
      );
    }
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
  if (only === undefined || only === 'node-rest') await nodeAtRest(mib, log);
  if (only === undefined || only === 'jvm') await jvmAtRest(mib, log);
  log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

await main();
