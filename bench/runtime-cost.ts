/**
 * What the runtime sources cost a target (issue 21), all in one run, side by side: requests per
 * second and the target's CPU per request of a real server keeping nothing, started fresh with
 * and without each source, the source read every second as the sampler's default interval
 * would, under the pack's burst engine:
 *
 * - Go: test/fixtures/gin-plain with GODEBUG=gctrace=1, its stderr read through the pack's tap;
 *   and once more without, against the first, for the noise of two identical starts (A/A).
 * - Node.js: test/fixtures/node-plain with --inspect=127.0.0.1:0 and the inspector source open
 *   (which, as in a run, also starts V8's sampling heap profiler) and read.
 * - JVM: test/fixtures/jvm-plain (the JDK's HttpServer, with TCP_NODELAY so that its rate is CPU-
 *   bound, not delayed-ACK-bound) with its hsperfdata file read.
 * - Python: test/fixtures/python-plain with the startup hook, without tracemalloc (the default,
 *   --sites off) and with it (--sites on), read over its socket.
 *
 * Every round runs each server once per mode, the modes of a server back to back in rotated
 * order, so a pair shares the machine's state; the cost is the median of the per-round ratios,
 * with their spread. Then the CPU one read costs at rest, in the target and in the pack, with no
 * load to hide in: the figure that does not depend on how busy the machine is.
 *
 *   npx tsx bench/runtime-cost.ts [--rounds 7] [--scale 1] [--out FILE]
 *   npm run bench -- --sections runtime
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launchEnvironment } from '../src/sample/runtime/env.ts';
import { goGcTraceProbe } from '../src/sample/runtime/gctrace.ts';
import { hsPerfDataProbe } from '../src/sample/runtime/hsperfdata.ts';
import { nodeInspectorProbe } from '../src/sample/runtime/node-inspector.ts';
import { pythonHook, removeHookSocketDir } from '../src/sample/runtime/python-hook.ts';
import { isUnavailable, type RuntimeProbe, type RuntimeSource } from '../src/sample/runtime/source.ts';
import type { RuntimeName } from '../src/rundir/schema.ts';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';
import { ensureGinPlainBinary } from '../test/helpers/go-fixture.ts';
import { measureBurst, type BurstMeasurement } from './burst.ts';
import { describeMachine } from './machine.ts';
import { loadAverage, processCpuS } from './proc.ts';
import { QuietGate } from './quiet.ts';
import { median, rotatedOrder } from './stats.ts';

/** The sampler's default interval. */
const READ_EVERY_MS = 1000;
const CONNECTIONS = 50;
/** Reads back to back at rest, for the CPU one read costs. */
const READS_AT_REST = 200;

interface Mode {
  name: string;
  /** Absent: the server as a user runs it, without the pack. */
  probe?: RuntimeProbe;
}

interface Server {
  name: string;
  runtime: RuntimeName;
  argv: (port: number) => string[];
  path: string;
  /** Measured requests per round. */
  requests: number;
  /** Requests that warm each process up first, not counted: the JIT's share. */
  warmUp: number;
  connections: number;
  /** The first is the reference the others are compared with. */
  modes: Mode[];
}

const OFF: Mode = { name: 'without' };

function servers(ginPlain: string): Server[] {
  return [
    {
      name: 'Go (Gin)',
      runtime: 'go',
      argv: (p) => [ginPlain, '-garbage-kib', '4', '-addr', `127.0.0.1:${p}`],
      path: '/',
      requests: 300_000,
      warmUp: 30_000,
      connections: CONNECTIONS,
      modes: [OFF, { name: 'again without (A/A)' }, { name: 'gctrace', probe: goGcTraceProbe }],
    },
    {
      name: 'Node.js (node:http)',
      runtime: 'node',
      argv: (p) => [process.execPath, join(REPO_ROOT, 'test/fixtures/node-plain/server.mjs'), String(p), 'none'],
      path: '/',
      requests: 200_000,
      warmUp: 50_000,
      connections: CONNECTIONS,
      modes: [OFF, { name: 'inspector', probe: nodeInspectorProbe({ attach: false }) }],
    },
    {
      name: 'JVM (JDK HttpServer)',
      runtime: 'jvm',
      argv: (p) => [
        'java',
        '-Dsun.net.httpserver.nodelay=true',
        join(REPO_ROOT, 'test/fixtures/jvm-plain/Server.java'),
        String(p),
        'none',
      ],
      path: '/work',
      requests: 120_000,
      // C2 compiles the request path after tens of thousands of calls.
      warmUp: 60_000,
      connections: CONNECTIONS,
      modes: [OFF, { name: 'hsperfdata', probe: hsPerfDataProbe() }],
    },
    {
      name: 'Python (http.server)',
      runtime: 'python',
      argv: (p) => [
        'python3',
        join(REPO_ROOT, 'test/fixtures/python-plain/server.py'),
        '--nodelay',
        '--garbage-kib',
        '8',
        '--port',
        String(p),
      ],
      path: '/',
      requests: 60_000,
      warmUp: 6_000,
      // http.server listens with a backlog of 5: more connections at once are refused.
      connections: 8,
      modes: [
        OFF,
        { name: 'startup hook', probe: pythonHook({ trace: false }) },
        { name: 'startup hook + tracemalloc', probe: pythonHook({ trace: true }) },
      ],
    },
  ];
}

interface Running {
  target: LaunchedTarget;
  url: URL;
  source: RuntimeSource | undefined;
  stop: () => Promise<void>;
}

/** Starts the server as a run would with the mode's probe (its launch environment, stderr tap, source). */
async function start(s: Server, mode: Mode, dir: string): Promise<Running> {
  const port = await freePort();
  const [file, ...args] = s.argv(port);
  const url = new URL(`http://127.0.0.1:${port}${s.path}`);
  const target = await launchTarget({
    command: { file: file!, args },
    readyUrl: url,
    readyTimeoutMs: 60_000,
    logFile: join(dir, 'target.log'),
    env: mode.probe ? launchEnvironment(process.env, [mode.probe]) : process.env,
    ...(mode.probe && { runtimeLogFile: join(dir, 'target-runtime.log') }),
  });
  let source: RuntimeSource | undefined;
  try {
    if (mode.probe) {
      const opened = await mode.probe.open({
        pid: target.pid,
        runtime: s.runtime,
        launched: true,
        ...(target.stderrLines && { stderrLines: target.stderrLines }),
      });
      if (isUnavailable(opened)) throw new Error(`${s.name}, ${mode.name}: ${opened.unavailable}`);
      source = opened;
    }
  } catch (err) {
    await target.stop(2000);
    throw err;
  }
  return {
    target,
    url,
    source,
    stop: async () => {
      await source?.close();
      await target.stop(2000);
    },
  };
}

/** Reads the source every second until stopped, as the sampler would. */
function poll(source: RuntimeSource): { stop: () => Promise<number> } {
  let reads = 0;
  let stopped = false;
  let wake: () => void = () => {};
  const loop = (async () => {
    while (!stopped) {
      await source.read();
      reads++;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, READ_EVERY_MS);
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      return reads;
    },
  };
}

interface Measured {
  rate: number;
  /** Target CPU per request, µs. */
  targetUs: number;
  otherCores: number;
  reads: number;
  /** gctrace: collections (lines printed) per second of the timed burst. */
  gcPerS?: number;
}

function burst(r: Running, requests: number, connections: number): Promise<BurstMeasurement> {
  return measureBurst('pack-net', {
    url: r.url,
    targetPid: r.target.pid,
    requests,
    connections,
    wrkSeconds: 2,
    timeoutMs: 10_000,
  });
}

async function measureOnce(s: Server, mode: Mode, gate: QuietGate | undefined): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-rt-'));
  const r = await start(s, mode, dir);
  try {
    await burst(r, s.warmUp, s.connections);
    gate?.setTarget(r.target.pid);
    await gate?.wait();
    const cyclesBefore = (await r.source?.read())?.gcTraceCycles;
    const poller = r.source ? poll(r.source) : undefined;
    const m = await burst(r, s.requests, s.connections);
    const reads = (await poller?.stop()) ?? 0;
    if (m.errors > 0) throw new Error(`${s.name}, ${mode.name}: ${m.errors} errors`);
    const cyclesAfter = (await r.source?.read())?.gcTraceCycles;
    return {
      rate: m.rate,
      targetUs: m.targetCpuMsPerKreq,
      otherCores: m.otherCores,
      reads,
      ...(cyclesBefore !== undefined &&
        cyclesAfter !== undefined && { gcPerS: (cyclesAfter - cyclesBefore) / m.seconds }),
    };
  } finally {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU of one read at rest, in the target (less its idle CPU) and in the pack, ms. */
async function cpuPerRead(s: Server, mode: Mode): Promise<{ targetMs: number; packMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-rt-'));
  const r = await start(s, mode, dir);
  try {
    await burst(r, s.warmUp, s.connections);
    const source = r.source!;
    for (let i = 0; i < 10; i++) await source.read(); // the read path's own warm-up
    const pid = r.target.pid;
    const quiet0 = processCpuS(pid);
    const w0 = performance.now();
    await new Promise((done) => setTimeout(done, 2000));
    const idlePerMs = (processCpuS(pid) - quiet0) / (performance.now() - w0);
    const t0 = processCpuS(pid);
    const p0 = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < READS_AT_REST; i++) await source.read();
    const wall = performance.now() - started;
    const pack = process.cpuUsage(p0);
    const target = processCpuS(pid) - t0 - idlePerMs * wall;
    return {
      targetMs: (Math.max(0, target) * 1000) / READS_AT_REST,
      packMs: (pack.user + pack.system) / 1000 / READS_AT_REST,
    };
  } finally {
    await r.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RuntimeCostRow {
  server: string;
  source: string;
  requests: number;
  /** Per round, the reference mode's and this mode's measurement. */
  off: Measured[];
  on: Measured[];
  /** CPU of one read at rest; absent for the A/A row. */
  perRead?: { targetMs: number; packMs: number };
}

export interface RuntimeCostResults {
  rounds: number;
  rows: RuntimeCostRow[];
  load: { before: [number, number, number]; after: [number, number, number] };
  gate?: { waits: number; gaveUp: number; seconds: number };
}

export async function measureRuntimeCost(
  o: { rounds: number; scale: number; gate?: QuietGate },
  log: (l: string) => void,
): Promise<RuntimeCostResults> {
  const before = loadAverage();
  const list = servers(await ensureGinPlainBinary()).map((s) => ({
    ...s,
    requests: Math.round(s.requests * o.scale),
    warmUp: Math.round(s.warmUp * o.scale),
  }));
  const byMode = new Map<string, Measured[]>();
  const key = (s: Server, m: Mode) => `${s.name}\0${m.name}`;
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const s of rotatedOrder(list, o.rounds)[round]!) {
        for (const mode of rotatedOrder(s.modes, o.rounds)[round]!) {
          const m = await measureOnce(s, mode, o.gate);
          const k = key(s, mode);
          byMode.set(k, [...(byMode.get(k) ?? []), m]);
          log(
            `runtime round ${round + 1}/${o.rounds} ${s.name} ${mode.name}: ${Math.round(m.rate).toLocaleString('en-US')} req/s, ${m.targetUs.toFixed(1)} µs CPU/req, ${m.reads} reads, others ${m.otherCores.toFixed(2)} cores`,
          );
        }
      }
    }
    const rows: RuntimeCostRow[] = [];
    for (const s of list) {
      const off = byMode.get(key(s, s.modes[0]!))!;
      for (const mode of s.modes.slice(1)) {
        const perRead = mode.probe ? await cpuPerRead(s, mode) : undefined;
        if (perRead)
          log(
            `runtime ${s.name} ${mode.name}: ${perRead.targetMs.toFixed(3)} / ${perRead.packMs.toFixed(3)} ms CPU per read at rest (target / pack)`,
          );
        rows.push({
          server: s.name,
          source: mode.name,
          requests: s.requests,
          off,
          on: byMode.get(key(s, mode))!,
          ...(perRead && { perRead }),
        });
      }
    }
    return {
      rounds: o.rounds,
      rows,
      load: { before, after: loadAverage() },
      ...(o.gate && { gate: { waits: o.gate.waits, gaveUp: o.gate.gaveUp, seconds: o.gate.waitedS } }),
    };
  } finally {
    removeHookSocketDir();
  }
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** Per-round changes on/off − 1 of one figure. */
function changes(row: RuntimeCostRow, f: (m: Measured) => number): number[] {
  return row.on.map((m, i) => f(m) / f(row.off[i]!) - 1);
}

export function renderRuntimeCost(r: RuntimeCostResults): string {
  const rateRow = (row: RuntimeCostRow): string => {
    const c = changes(row, (m) => m.rate);
    const cpu = changes(row, (m) => m.targetUs);
    const reads = row.on.reduce((a, m) => a + m.reads, 0);
    return [
      row.server,
      row.source,
      row.requests.toLocaleString('en-US'),
      Math.round(median(row.off.map((m) => m.rate))).toLocaleString('en-US'),
      Math.round(median(row.on.map((m) => m.rate))).toLocaleString('en-US'),
      pct(median(c)),
      `${pct(Math.min(...c))} to ${pct(Math.max(...c))}`,
      `${median(row.off.map((m) => m.targetUs)).toFixed(1)} / ${median(row.on.map((m) => m.targetUs)).toFixed(1)}`,
      pct(median(cpu)),
      `${pct(Math.min(...cpu))} to ${pct(Math.max(...cpu))}`,
      String(reads),
      row.perRead ? `${row.perRead.targetMs.toFixed(3)} / ${row.perRead.packMs.toFixed(3)}` : '—',
    ].join(' | ');
  };
  const others = r.rows.flatMap((row) => [...row.on, ...row.off].map((m) => m.otherCores));
  return [
    '## Runtime sources (issue 21)',
    '',
    `${r.rounds} rounds. Each round starts every server fresh once per mode (the modes of one server back to back, their order rotating), warms it up (Go a tenth of the timed requests, Node.js a quarter, the JVM a half, Python a tenth), then times the requests below over ${CONNECTIONS} keep-alive connections (Python's http.server 8: it listens with a backlog of 5; it runs with TCP_NODELAY, as the JVM's does, so that neither waits on delayed ACKs) with the pack's burst engine, the source read every ${READ_EVERY_MS / 1000} s during them. "Change" is the median of the per-round ratios with-source / without − 1 (negative: fewer requests per second, or less CPU); "spread" is the lowest and highest of those ratios. CPU per request is the target's own (utime + stime over the timed burst). CPU per read at rest: ${READS_AT_REST} reads back to back against an unloaded server, its idle CPU subtracted. Goal: under 2% for gctrace, hsperfdata and the inspector at 1 s.`,
    '',
    `Load average (1/5/15 min) before ${r.load.before.join(' ')}, after ${r.load.after.join(' ')}; other jobs used ${median(others).toFixed(2)} cores during the median measurement (${Math.min(...others).toFixed(2)} to ${Math.max(...others).toFixed(2)}).` +
      (r.gate
        ? ` Before each measurement the benchmark waited for a quiet second (${r.gate.waits} waits, ${Math.round(r.gate.seconds)} s in all; ${r.gate.gaveUp} started on a busy machine when the wait ran out).`
        : ''),
    '',
    '| server | source | requests | req/s without | req/s with | change | spread | CPU µs/req without / with | CPU change | spread | reads | CPU ms per read at rest, target / pack |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map((row) => `| ${rateRow(row)} |`),
    '',
    ...r.rows.flatMap((row) => {
      const gc = row.on.flatMap((m) => (m.gcPerS === undefined ? [] : [m.gcPerS]));
      return gc.length === 0
        ? []
        : [
            `${row.server}, ${row.source}: ${Math.round(median(gc))} collections a second during the timed bursts (median; ${Math.round(Math.min(...gc))} to ${Math.round(Math.max(...gc))}), each one line on stderr read through the pack.`,
            '',
          ];
    }),
    'Per round, req/s without → with:',
    '',
    ...r.rows.map(
      (row) =>
        `- ${row.server}, ${row.source}: ${row.on.map((m, i) => `${Math.round(row.off[i]!.rate)} → ${Math.round(m.rate)}`).join(', ')}`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { rounds: { type: 'string' }, scale: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const rounds = Number(v.rounds ?? 7);
  const scale = Number(v.scale ?? 1);
  if (!(Number.isInteger(rounds) && rounds > 0 && scale > 0))
    throw new Error('usage: npx tsx bench/runtime-cost.ts [--rounds N] [--scale X] [--out FILE]');
  const log = (l: string) => process.stderr.write(`bench: ${l}\n`);
  const machine = describeMachine();
  const gate = new QuietGate(undefined, { maxOtherCores: 0.25, maxWaitS: 10, budgetS: 300 }, log);
  const results = await measureRuntimeCost({ rounds, scale, gate }, log);
  const text = [
    `# What the runtime sources cost, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: \`${machine.name}\`, ${machine.cpus} CPUs (nproc), ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}; Node ${machine.node}. Shared with other jobs while it ran (see the load average).`,
    '',
    `Command: \`npx tsx bench/runtime-cost.ts --rounds ${rounds}${scale === 1 ? '' : ` --scale ${scale}`}\``,
    '',
    renderRuntimeCost(results),
  ].join('\n');
  process.stdout.write(text);
  if (v.out) {
    mkdirSync(dirname(v.out), { recursive: true });
    writeFileSync(v.out, text);
    log(`written to ${relative(process.cwd(), v.out) || v.out}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
