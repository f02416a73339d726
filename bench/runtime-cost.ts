/**
 * What the runtime sources cost a target (issue 21): requests per second of a Go net/http
 * server with and without GODEBUG=gctrace=1 (its stderr read through the pack's tap, as in a
 * run), and of a Python http.server with and without the pack's startup hook (tracemalloc at
 * one frame, read once a second as the default sample interval would). Each pair is run in
 * rotated order, fresh processes each time; the median ratio is reported.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchEnvironment } from '../src/sample/runtime/env.ts';
import { goGcTraceProbe } from '../src/sample/runtime/gctrace.ts';
import { askHook, pythonHookProbe } from '../src/sample/runtime/python-hook.ts';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { freePort } from '../src/target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../src/target/launch.ts';
import { ensureGoBinary } from '../test/helpers/go-fixture.ts';
import { measureBurst } from './burst.ts';
import { median, rotatedOrder } from './stats.ts';

export interface RuntimeCostRow {
  name: string;
  requests: number;
  rounds: number;
  /** Median req/s without and with the source. */
  off: number;
  on: number;
  /** Median of the per-round ratios on/off − 1 (negative: slower with the source). */
  change: number;
}

type Mode = 'off' | 'on';

async function start(command: string[], env: NodeJS.ProcessEnv, tap: boolean): Promise<LaunchedTarget & { url: URL }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-bench-rt-'));
  const url = new URL(`http://127.0.0.1:${port}/`);
  const t = await launchTarget({
    command: {
      file: command[0]!,
      args: [
        ...command.slice(1),
        ...(command[0] === 'python3' ? ['--port', String(port)] : ['-addr', `127.0.0.1:${port}`]),
      ],
    },
    readyUrl: url,
    readyTimeoutMs: 10_000,
    logFile: join(dir, 'target.log'),
    env,
    ...(tap && { runtimeLogFile: join(dir, 'target-runtime.log') }),
  });
  if (tap) t.stderrLines?.subscribe((l) => l.startsWith('gc '));
  return Object.assign(t, { url });
}

async function pair(
  name: string,
  rounds: number,
  requests: number,
  run: (mode: Mode) => Promise<number>,
  log: (l: string) => void,
): Promise<RuntimeCostRow> {
  const rates: Record<Mode, number[]> = { off: [], on: [] };
  for (const order of rotatedOrder(['off', 'on'] as const, rounds)) {
    for (const mode of order) {
      const rate = await run(mode);
      rates[mode].push(rate);
      log(`runtime ${name} ${mode}: ${Math.round(rate).toLocaleString('en-US')} req/s`);
    }
  }
  const ratios = rates.on.map((r, i) => r / rates.off[i]! - 1);
  return { name, requests, rounds, off: median(rates.off), on: median(rates.on), change: median(ratios) };
}

export async function measureRuntimeCost(
  rounds: number,
  requests: { go: number; python: number },
  log: (l: string) => void,
): Promise<RuntimeCostRow[]> {
  const go = await ensureGoBinary(join(REPO_ROOT, 'test', 'fixtures', 'go-plain'), 'fixture-go-plain', 'go-plain');
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
  const goRow = await pair(
    'Go net/http, GODEBUG=gctrace=1 (4 KiB garbage a request)',
    rounds,
    requests.go,
    async (mode) => {
      const env = mode === 'on' ? launchEnvironment(process.env, [goGcTraceProbe]) : process.env;
      const t = await start([go, '-garbage-kib', '4'], env, mode === 'on');
      try {
        await burst(t, Math.floor(requests.go / 5));
        return await burst(t, requests.go);
      } finally {
        await t.stop(2000);
      }
    },
    log,
  );
  const server = join(REPO_ROOT, 'test', 'fixtures', 'python-plain', 'server.py');
  const pyRow = await pair(
    'Python http.server, startup hook (tracemalloc, read every 1 s)',
    rounds,
    requests.python,
    async (mode) => {
      const env = mode === 'on' ? launchEnvironment(process.env, [pythonHookProbe]) : process.env;
      const t = await start(['python3', server], env, false);
      const socket = join(env.LEAKBENCH_PYHOOK_DIR ?? '', `py-${t.pid}.sock`);
      const reader =
        mode === 'on' ? setInterval(() => void askHook(socket, 'read', 1000).catch(() => undefined), 1000) : undefined;
      try {
        await burst(t, Math.floor(requests.python / 5));
        return await burst(t, requests.python);
      } finally {
        clearInterval(reader);
        await t.stop(2000);
      }
    },
    log,
  );
  return [goRow, pyRow];
}

export function renderRuntimeCost(rows: readonly RuntimeCostRow[], load: [number, number, number]): string {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  return [
    '## Runtime sources (issue 21)',
    '',
    `Load average at the end: ${load.map((x) => x.toFixed(2)).join(' ')}. Goal: Go gctrace under 2%.`,
    '',
    '| target and source | requests | rounds | req/s without | req/s with | change (median of rounds) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.requests.toLocaleString('en-US')} | ${r.rounds} | ${Math.round(r.off).toLocaleString('en-US')} | ${Math.round(r.on).toLocaleString('en-US')} | ${pct(r.change)} |`,
    ),
    '',
  ].join('\n');
}
