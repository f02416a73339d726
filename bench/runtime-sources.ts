/**
 * What the Node.js inspector and HotSpot hsperfdata sources cost the target: requests per second
 * of a real server (test/fixtures/node-plain, test/fixtures/jvm-plain, each keeping nothing) under
 * the pack's burst engine, with the source polling at 1 s and without, in alternating rounds on
 * the same process (so JIT warm-up and placement are shared). The Node.js server runs with
 * --inspect=127.0.0.1:0 in both (the launch environment of a started target; an inspector no
 * session talks to runs no code); the JVM's hsperfdata is on by default in both.
 *
 *   npx tsx bench/runtime-sources.ts [--rounds 6] [--requests 100000] [--connections 50]
 *
 * (A section of `npm run bench` once the run's runtime plumbing is merged.)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { nodeInspectorProbe } from '../src/sample/runtime/node-inspector.ts';
import { hsPerfDataProbe } from '../src/sample/runtime/hsperfdata.ts';
import { isUnavailable, type RuntimeProbe, type RuntimeSource } from '../src/sample/runtime/source.ts';
import { measureBurst, type BurstSetup } from './burst.ts';
import { loadAverage, processCpuS } from './proc.ts';
import { median, pairedRatio } from './stats.ts';

const { values: v } = parseArgs({
  options: { rounds: { type: 'string' }, requests: { type: 'string' }, connections: { type: 'string' } },
});
const ROUNDS = Number(v.rounds ?? 6);
const REQUESTS = Number(v.requests ?? 100_000);
const CONNECTIONS = Number(v.connections ?? 50);

interface Case {
  name: string;
  probe: RuntimeProbe;
  argv: (port: number) => string[];
  /** Requests per round: the JDK's HttpServer answers about a tenth as fast as node:http here. */
  share: number;
}

const CASES: Case[] = [
  {
    name: 'Node.js inspector',
    probe: nodeInspectorProbe({ attach: false }),
    argv: (p) => [process.execPath, join(REPO_ROOT, 'test/fixtures/node-plain/server.mjs'), String(p), 'none'],
    share: 1,
  },
  {
    name: 'HotSpot hsperfdata',
    probe: hsPerfDataProbe(),
    // TCP_NODELAY: without it the JDK's HttpServer waits on delayed ACKs (about 1,000 requests/s
    // over 50 connections whatever the CPU), and a source's CPU cost could not show in its rate.
    argv: (p) => [
      'java',
      '-Dsun.net.httpserver.nodelay=true',
      join(REPO_ROOT, 'test/fixtures/jvm-plain/Server.java'),
      String(p),
      'none',
    ],
    share: 0.2,
  },
];

async function startServer(c: Case): Promise<{ pid: number; port: number; kill: () => void }> {
  const port = await freePort();
  const [cmd, ...args] = c.argv(port);
  const child = spawn(cmd!, args, {
    env: { ...process.env, ...c.probe.launchEnv?.(process.env) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  for await (const line of createInterface({ input: child.stdout! })) if (line.startsWith('listening')) break;
  child.stdout!.resume();
  return { pid: child.pid!, port, kill: () => child.kill('SIGKILL') };
}

/** Reads the source every second until stopped, as the sampler would. */
function poll(source: RuntimeSource): { stop: () => Promise<number> } {
  let reads = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await source.read();
      reads++;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return reads;
    },
  };
}

const READS = 200;

/**
 * CPU per read at rest, in the target and in the pack, with no load to hide in: READS reads back
 * to back, against the target's CPU over as long a quiet spell without reads.
 */
async function cpuPerRead(source: RuntimeSource, pid: number): Promise<{ targetMs: number; packMs: number }> {
  const quiet0 = processCpuS(pid);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, 2_000));
  const idlePerMs = (processCpuS(pid) - quiet0) / (performance.now() - w0);
  const t0 = processCpuS(pid);
  const p0 = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < READS; i++) await source.read();
  const wall = performance.now() - started;
  const pack = process.cpuUsage(p0);
  const target = processCpuS(pid) - t0 - idlePerMs * wall;
  return { targetMs: (Math.max(0, target) * 1000) / READS, packMs: (pack.user + pack.system) / 1000 / READS };
}

async function benchCase(c: Case): Promise<string> {
  const server = await startServer(c);
  try {
    const source = await c.probe.open({ pid: server.pid, runtime: c.probe.runtimes[0]!, launched: true });
    if (isUnavailable(source)) throw new Error(`${c.name}: ${source.unavailable}`);
    const setup: BurstSetup = {
      url: new URL(`http://127.0.0.1:${server.port}/work`),
      targetPid: server.pid,
      requests: Math.round(REQUESTS * c.share),
      connections: CONNECTIONS,
      wrkSeconds: 10,
      timeoutMs: 10_000,
    };
    await measureBurst('pack-net', { ...setup, requests: Math.round(setup.requests / 2) }); // warm-up, not counted
    const off: number[] = [];
    const on: number[] = [];
    let reads = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always follows the other.
      for (const polled of r % 2 === 0 ? [false, true] : [true, false]) {
        const poller = polled ? poll(source) : undefined;
        const m = await measureBurst('pack-net', setup);
        if (poller) reads += await poller.stop();
        if (m.errors > 0) throw new Error(`${c.name}: ${m.errors} errors in a round`);
        (polled ? on : off).push(m.rate);
      }
    }
    const cpu = await cpuPerRead(source, server.pid);
    await source.close();
    const paired = pairedRatio(on, off);
    const cost = paired === undefined ? 'n/a' : `${((1 - paired) * 100).toFixed(1)}%`;
    return `| ${c.name} | ${median(off).toFixed(0)} | ${median(on).toFixed(0)} | ${cost} | ${reads} | ${cpu.targetMs.toFixed(3)} / ${cpu.packMs.toFixed(3)} | ${off.map((x) => x.toFixed(0)).join(', ')} / ${on.map((x) => x.toFixed(0)).join(', ')} |`;
  } finally {
    server.kill();
  }
}

const rows: string[] = [];
const loadBefore = loadAverage();
for (const c of CASES) rows.push(await benchCase(c));
const loadAfter = loadAverage();
console.log(
  `${ROUNDS} rounds of ${REQUESTS} requests (the JVM: a fifth) over ${CONNECTIONS} connections (pack-net), each source read every 1 s\n`,
);
console.log(
  '| source | req/s without (median) | req/s polled at 1 s (median) | cost (median of paired rounds) | reads | CPU ms per read at rest, target / pack | rounds without / with |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
console.log(`\nload average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${new Date().toISOString()}`);
