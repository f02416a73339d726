/**
 * What allocation sites cost (issue 24): requests per second of a Python http.server with and
 * without the pack's startup hook tracing allocations (tracemalloc, one frame), fresh processes
 * in rotated order, the median of the paired ratios; and how long one `sites` answer takes at
 * rest (the first names every file's functions, later ones reuse them), beside a Go heap
 * profile's fetch and parse. Go's heap profiling is on in every Go program (runtime.MemProfileRate,
 * one sample per 512 KiB): reading it at rest adds nothing per request.
 *
 *   npx tsx bench/sites-cost.ts [--rounds 5] [--requests 5000] [--garbage-kib 4]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { launchEnvironment } from '../src/sample/runtime/env.ts';
import { goPprofProbe } from '../src/sample/runtime/pprof-totals.ts';
import { hookSites, pythonHookProbe } from '../src/sample/runtime/python-hook.ts';
import { isUnavailable } from '../src/sample/runtime/source.ts';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';
import { ensureGoBinary } from '../test/helpers/go-fixture.ts';
import { measureBurst } from './burst.ts';
import { loadAverage, processCpuS } from './proc.ts';
import { median, rotatedOrder } from './stats.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '5000' },
    'garbage-kib': { type: 'string', default: '4' },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const garbageKiB = Number(values['garbage-kib']);

async function start(command: string[], addr: (port: number) => string[], env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-sites-'));
  const url = new URL(`http://127.0.0.1:${port}/`);
  const t = await launchTarget({
    command: { file: command[0]!, args: [...command.slice(1), ...addr(port)] },
    readyUrl: url,
    readyTimeoutMs: 10_000,
    logFile: join(dir, 'target.log'),
    env,
  });
  return Object.assign(t, { url });
}

const burst = async (t: LaunchedTarget & { url: URL }, n: number) =>
  (
    await measureBurst('pack-net', {
      url: t.url,
      targetPid: t.pid,
      requests: n,
      connections: 50,
      wrkSeconds: 2,
      timeoutMs: 10_000,
    })
  ).rate;

const server = join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py');
const pyArgs = ['python3', server, '--garbage-kib', String(garbageKiB)];
const rates = { off: [] as number[], on: [] as number[] };
// The target's CPU per request: what tracing costs whatever the machine's other load and however
// the server's writes are paced (http.server writes headers and body apart, so its rate is
// bound by the network stack's timers as much as by its CPU).
const cpuMsPer1k = { off: [] as number[], on: [] as number[] };
const sitesMs: number[][] = [];
for (const order of rotatedOrder(['off', 'on'] as const, rounds)) {
  for (const mode of order) {
    const env = mode === 'on' ? launchEnvironment(process.env, [pythonHookProbe]) : process.env;
    const t = await start(pyArgs, (p) => ['--port', String(p)], env);
    try {
      await burst(t, Math.floor(requests / 5));
      const cpu = processCpuS(t.pid);
      const rate = await burst(t, requests);
      cpuMsPer1k[mode].push(((processCpuS(t.pid) - cpu) * 1000) / (requests / 1000));
      rates[mode].push(rate);
      if (mode === 'on') {
        const socket = join(env.LEAKBENCH_PYHOOK_DIR ?? '', `py-${t.pid}.sock`);
        const times: number[] = [];
        for (let i = 0; i < 2; i++) {
          const at = performance.now();
          const p = await hookSites(socket);
          if (isUnavailable(p)) throw new Error(p.unavailable);
          times.push(performance.now() - at);
        }
        sitesMs.push(times);
      }
      console.error(
        `python ${mode}: ${Math.round(rate)} req/s, ${Math.round(cpuMsPer1k[mode].at(-1)!)} CPU ms per 1,000`,
      );
    } finally {
      await t.stop(2000);
    }
  }
}
const ratios = rates.on.map((r, i) => r / rates.off[i]! - 1);
const cpuRatios = cpuMsPer1k.on.map((c, i) => c / cpuMsPer1k.off[i]! - 1);

const go = await ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'go-plain'), 'fixture-go-plain', 'go-plain');
const g = await start([go, '-pprof', '-leak-kib', '4'], (p) => ['-addr', `127.0.0.1:${p}`], process.env);
const goMs: number[] = [];
try {
  await burst(g, 20_000);
  const source = await goPprofProbe.open({
    pid: g.pid,
    runtime: 'go',
    launched: true,
    pprofUrl: `${g.url.href}debug/pprof/`,
  });
  if (isUnavailable(source)) throw new Error(source.unavailable);
  for (let i = 0; i < 3; i++) {
    const at = performance.now();
    const p = await source.sites!();
    if (isUnavailable(p)) throw new Error(p.unavailable);
    goMs.push(performance.now() - at);
  }
} finally {
  await g.stop(2000);
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const ms = (xs: readonly number[]) => xs.map((x) => Math.round(x)).join(', ');
console.log(`## Allocation sites (issue 24)

\`npx tsx bench/sites-cost.ts --rounds ${rounds} --requests ${requests} --garbage-kib ${garbageKiB}\`; load average at the end: ${loadAverage()
  .map((x) => x.toFixed(2))
  .join(' ')}.

| Python http.server, ${garbageKiB} KiB garbage a request | without tracing (median) | with tracemalloc, 1 frame (median) | change (median of paired rounds) | rounds without / with |
|---|---:|---:|---:|---|
| req/s | ${Math.round(median(rates.off))} | ${Math.round(median(rates.on))} | ${pct(median(ratios))} | ${ms(rates.off)} / ${ms(rates.on)} |
| target CPU ms per 1,000 requests | ${Math.round(median(cpuMsPer1k.off))} | ${Math.round(median(cpuMsPer1k.on))} | ${pct(median(cpuRatios))} | ${ms(cpuMsPer1k.off)} / ${ms(cpuMsPer1k.on)} |

One \`sites\` answer at rest after ${requests} requests (ms, first / second, per round): ${sitesMs.map((t) => ms(t)).join('; ')}.
A Go heap profile fetched with ?gc=1 and parsed into sites after 20,000 requests keeping 4 KiB each (ms, three times): ${ms(goMs)}.
`);
