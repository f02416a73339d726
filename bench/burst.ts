import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBurstAutocannon } from '../src/load/burst-autocannon.ts';
import { runBurst, type BurstPhase, type BurstSinks } from '../src/load/burst.ts';
import { startClock } from '../src/load/clock.ts';
import type { PhaseLoadSummary } from '../src/rundir/schema.ts';
import { otherCpuMeter, ownCpuS, processCpuS, waitedChildrenCpuS } from './proc.ts';

/** One burst by one tool: what the table needs and what the CPU went on. */
export interface BurstMeasurement {
  tool: BurstTool;
  /** Requests answered (wrk: in its fixed duration). */
  requests: number;
  errors: number;
  /** Seconds the tool took for `requests` (wrk: its run time). */
  seconds: number;
  rate: number;
  /** Wall time a run of the benchmark's fixed request count takes (wrk: derived from its rate). */
  wallForN: number;
  /** CPU seconds of the load generator and of the target, per 1,000 requests. */
  clientCpuMsPerKreq: number;
  targetCpuMsPerKreq: number;
  /** CPU other jobs on the machine used meanwhile, in cores. */
  otherCores: number;
  /** Which round of the burst section (from 1), and against which target (BurstSetup.targetName). */
  round?: number;
  target?: string;
}

export type BurstTool =
  | 'pack-net'
  | 'pack-net-1thread'
  | 'pack-net-2threads'
  | 'pack-net-unbatched'
  | 'pack-autocannon'
  | 'wrk'
  | 'autocannon-cli'
  | 'autocannon-cli-w2'
  | 'hey';

export const BURST_TOOLS: readonly BurstTool[] = [
  'pack-net',
  'pack-net-1thread',
  'pack-net-2threads',
  'pack-net-unbatched',
  'pack-autocannon',
  'wrk',
  'autocannon-cli',
  'autocannon-cli-w2',
  'hey',
];

/** Tools that are programs of their own, with how to get them (Debian packages). */
export const EXTERNAL_TOOLS: Partial<Record<BurstTool, { bin: string; install: string }>> = {
  wrk: { bin: 'wrk', install: 'apt-get install wrk' },
  hey: { bin: 'hey', install: 'apt-get install hey' },
};

export interface BurstSetup {
  /** A short name for the target the tools are measured against (bench/target.ts). */
  targetName?: string;
  url: URL;
  targetPid: number;
  requests: number;
  connections: number;
  /** wrk runs for a fixed time: about as long as the pack takes for `requests`. */
  wrkSeconds: number;
  timeoutMs: number;
  /** The pack's engines only: progress in requests, as a run's burst gets it (work samples). */
  onProgress?: (done: number, total: number) => void;
}

const require = createRequire(import.meta.url);

function sinks(
  signal: AbortSignal,
  warnings: string[],
  onProgress?: (done: number, total: number) => void,
): BurstSinks {
  return {
    clock: startClock(),
    signal,
    onSecond: () => {},
    onWarning: (m) => warnings.push(m),
    ...(onProgress && { onProgress }),
  };
}

/** Runs a burst engine of the pack in this process and accounts its CPU and the target's. */
async function inProcess(
  tool: 'pack-net' | 'pack-net-1thread' | 'pack-net-2threads' | 'pack-net-unbatched' | 'pack-autocannon',
  engine: (p: BurstPhase, s: BurstSinks) => Promise<PhaseLoadSummary>,
  setup: BurstSetup,
): Promise<BurstMeasurement> {
  const warnings: string[] = [];
  const phase: BurstPhase = {
    name: 'bench',
    url: setup.url,
    requests: setup.requests,
    connections: setup.connections,
    timeoutMs: setup.timeoutMs,
  };
  const cpu0 = ownCpuS();
  const target0 = processCpuS(setup.targetPid);
  const t0 = performance.now();
  const r = await engine(phase, sinks(new AbortController().signal, warnings, setup.onProgress));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ownCpuS() - cpu0;
  const targetCpu = processCpuS(setup.targetPid) - target0;
  if (r.sent !== setup.requests)
    throw new Error(`${tool}: ${r.sent} of ${setup.requests} requests accounted for (${warnings.join('; ')})`);
  return measurement(
    tool,
    r.completed,
    r.errors,
    seconds,
    seconds * (setup.requests / Math.max(1, r.sent)),
    cpu,
    targetCpu,
  );
}

function measurement(
  tool: BurstTool,
  requests: number,
  errors: number,
  seconds: number,
  wallForN: number,
  clientCpu: number,
  targetCpu: number,
): BurstMeasurement {
  const done = Math.max(1, requests + errors);
  return {
    tool,
    requests,
    errors,
    seconds,
    rate: requests / seconds,
    wallForN,
    clientCpuMsPerKreq: (clientCpu * 1e6) / done,
    targetCpuMsPerKreq: (targetCpu * 1e6) / done,
    otherCores: 0,
  };
}

interface ChildResult {
  stdout: string;
  stderr: string;
  wallS: number;
  cpuS: number;
}

/** Runs a child to completion; its CPU is read from this process's waited-for-children total. */
function runChild(file: string, args: string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const cpu0 = waitedChildrenCpuS();
    const t0 = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      if (code !== 0)
        return reject(
          new Error(`${file} ${args.join(' ')} ended with ${signal ?? `code ${code}`}: ${stderr.trim().slice(-400)}`),
        );
      resolve({ stdout, stderr, wallS, cpuS: waitedChildrenCpuS() - cpu0 });
    });
  });
}

/** Parses wrk's summary: answered requests, run time, errors. */
export function parseWrk(out: string): { requests: number; seconds: number; errors: number; non2xx: number } {
  const m = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(out);
  if (!m) throw new Error(`cannot read wrk's output: ${out.slice(0, 300)}`);
  const unit = m[3] === 'ms' ? 0.001 : m[3] === 'm' ? 60 : 1;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { requests: Number(m[1]), seconds: Number(m[2]) * unit, errors, non2xx };
}

/**
 * wrk has no fixed-count mode: it runs for `wrkSeconds` and its rate gives the wall time for
 * the fixed count. (A Lua `response()` hook could stop it after N, but it makes wrk parse every
 * response into Lua tables, which would slow wrk and flatter the pack.)
 */
async function wrk(setup: BurstSetup): Promise<BurstMeasurement> {
  const target0 = processCpuS(setup.targetPid);
  const r = await runChild(
    'wrk',
    [
      '-t2',
      `-c${setup.connections}`,
      `-d${setup.wrkSeconds}s`,
      `--timeout`,
      `${Math.ceil(setup.timeoutMs / 1000)}s`,
      setup.url.href,
    ],
    (setup.wrkSeconds + 30) * 1000,
  );
  const targetCpu = processCpuS(setup.targetPid) - target0;
  const w = parseWrk(r.stdout);
  const rate = w.requests / w.seconds;
  return measurement('wrk', w.requests, w.errors, w.seconds, setup.requests / rate, r.cpuS, targetCpu);
}

/** Parses hey's summary: answered requests (by status), run time, errors. */
export function parseHey(out: string): { requests: number; seconds: number; errors: number } {
  const total = /Total:\s+([\d.]+) secs/.exec(out);
  if (!total) throw new Error(`cannot read hey's output: ${out.slice(0, 300)}`);
  const statusPart = out.split('Status code distribution:')[1]?.split('Error distribution:')[0] ?? '';
  const requests = [...statusPart.matchAll(/\[\d+\]\s+(\d+) responses/g)].reduce((n, m) => n + Number(m[1]), 0);
  const errorPart = out.split('Error distribution:')[1] ?? '';
  const errors = [...errorPart.matchAll(/^\s*\[(\d+)\]/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return { requests, seconds: Number(total[1]), errors };
}

/**
 * hey (Go's net/http client, one goroutine per connection) with a fixed count, like the pack.
 * Its rate is over its own reported total; its wall time is its process's.
 */
async function hey(setup: BurstSetup): Promise<BurstMeasurement> {
  const target0 = processCpuS(setup.targetPid);
  const r = await runChild(
    'hey',
    [
      '-n',
      String(setup.requests),
      '-c',
      String(setup.connections),
      '-t',
      String(Math.ceil(setup.timeoutMs / 1000)),
      setup.url.href,
    ],
    600_000,
  );
  const targetCpu = processCpuS(setup.targetPid) - target0;
  const h = parseHey(r.stdout);
  return measurement('hey', h.requests, h.errors, h.seconds, r.wallS, r.cpuS, targetCpu);
}

/**
 * The autocannon CLI with its defaults (one thread, no pipelining, its own output), only the
 * connection count and the request count set. Its time is its process's wall time, Node's
 * start-up included, as a user waits for it.
 */
async function autocannonCli(setup: BurstSetup, workers?: number): Promise<BurstMeasurement> {
  const bin = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const target0 = processCpuS(setup.targetPid);
  const r = await runChild(
    process.execPath,
    [
      bin,
      '-c',
      String(setup.connections),
      '-a',
      String(setup.requests),
      ...(workers ? ['-w', String(workers)] : []),
      '-j',
      setup.url.href,
    ],
    600_000,
  );
  const targetCpu = processCpuS(setup.targetPid) - target0;
  const res = JSON.parse(r.stdout) as {
    requests: { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  };
  // Its rate is over its own reported duration (start-up excluded, its trailing 1 s tick
  // included); its wall time is the process's.
  return measurement(
    workers ? 'autocannon-cli-w2' : 'autocannon-cli',
    res.requests.total,
    res.errors,
    res.duration,
    r.wallS,
    r.cpuS,
    targetCpu,
  );
}

export async function measureBurst(tool: BurstTool, setup: BurstSetup): Promise<BurstMeasurement> {
  const meter = otherCpuMeter(setup.targetPid);
  const m = await runTool(tool, setup);
  return { ...m, otherCores: meter.stop(), ...(setup.targetName !== undefined && { target: setup.targetName }) };
}

function runTool(tool: BurstTool, setup: BurstSetup): Promise<BurstMeasurement> {
  switch (tool) {
    case 'pack-net':
      return inProcess(tool, runBurst, setup);
    case 'pack-net-1thread':
      return inProcess(tool, (p, s) => runBurst(p, s, { threads: 1 }), setup);
    case 'pack-net-2threads':
      return inProcess(tool, (p, s) => runBurst(p, s, { threads: 2 }), setup);
    case 'pack-net-unbatched':
      return inProcess(tool, (p, s) => runBurst(p, s, { batchWrites: false }), setup);
    case 'pack-autocannon':
      return inProcess(tool, runBurstAutocannon, setup);
    case 'wrk':
      return wrk(setup);
    case 'autocannon-cli':
      return autocannonCli(setup);
    case 'autocannon-cli-w2':
      // Worker threads: each runs its share of connections, results are merged by the main thread.
      return autocannonCli(setup, 2);
    case 'hey':
      return hey(setup);
  }
}
