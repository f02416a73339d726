import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { processCpuS } from './proc.ts';

export interface RunnerCost {
  engine: 'autocannon' | 'net';
  variant: 'plain' | 'race';
  requests: number;
  /** The whole `leakbench run burst` process: start-up, target start, burst, report. */
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  /** Between the burst's phase-start and phase-end events, from /proc every 100 ms. */
  burstS: number;
  burstCpuS: number;
  burstPeakRssMb: number;
  rate: number;
  errors: number;
}

function procRssKb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

function phaseMarks(eventsFile: string): { start?: boolean; end?: boolean } {
  if (!existsSync(eventsFile)) return {};
  const text = readFileSync(eventsFile, 'utf8');
  return {
    start: /"type":"phase-start"[^\n]*"phase":"burst"/.test(text),
    end: /"type":"phase-end"[^\n]*"phase":"burst"/.test(text),
  };
}

/**
 * Runs the real CLI, `leakbench run burst --variant <variant>`, as one Node process (no tsx wrapper
 * process), with the progress line on and sampling every second, and watches it from outside.
 */
export async function measureRunnerCost(
  engine: RunnerCost['engine'],
  requests: number,
  variant: 'plain' | 'race',
  log: (line: string) => void,
): Promise<RunnerCost> {
  const out = mkdtempSync(join(tmpdir(), 'leakbench-bench-cost-'));
  const usageFile = join(out, 'usage.json');
  const name = 'cost';
  const args = [
    '--import',
    'tsx',
    '--import',
    join(REPO_ROOT, 'bench', 'child', 'usage-on-exit.ts'),
    join(REPO_ROOT, 'scripts', 'leakbench.ts'),
    'run',
    'burst',
    '--variant',
    variant,
    '--engine',
    engine,
    '--requests',
    String(requests),
    '--connections',
    '100',
    '--sample-interval',
    '1s',
    '--settle',
    '0s',
    '--progress',
    'on',
    '--out',
    out,
    '--name',
    name,
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, LEAKBENCH_BENCH_USAGE: usageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const pid = child.pid!;
  const t0 = performance.now();
  const events = join(out, name, 'events.ndjson');
  let inBurst = false;
  let burstStartCpu = 0,
    burstEndCpu = 0,
    burstStartT = 0,
    burstEndT = 0,
    burstPeakKb = 0;
  const poll = setInterval(() => {
    const rss = procRssKb(pid);
    let cpu: number;
    try {
      cpu = processCpuS(pid);
    } catch {
      return;
    }
    const marks = phaseMarks(events);
    if (!inBurst && marks.start && !burstStartT) {
      inBurst = true;
      burstStartCpu = cpu;
      burstStartT = performance.now();
    }
    if (inBurst && rss) burstPeakKb = Math.max(burstPeakKb, rss.rss, rss.hwm);
    if (inBurst && marks.end) {
      inBurst = false;
      burstEndCpu = cpu;
      burstEndT = performance.now();
    }
  }, 100);
  const timeout = setTimeout(() => child.kill('SIGTERM'), 20 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearInterval(poll);
  clearTimeout(timeout);
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0)
    throw new Error(`leakbench run burst ended with code ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRssKb: number; userS: number; systemS: number };
  const summary = JSON.parse(readFileSync(join(out, name, 'summary.json'), 'utf8')) as {
    load: { completed: number; errors: number; rate: number }[];
  };
  const load = summary.load[0]!;
  rmSync(out, { recursive: true, force: true });
  if (!burstEndT) log('runner cost: the burst phase-end was not seen while polling; burst figures are partial');
  return {
    engine,
    variant,
    requests,
    wallS,
    cpuS: usage.userS + usage.systemS,
    peakRssMb: usage.maxRssKb / 1024,
    burstS: (burstEndT - burstStartT) / 1000,
    burstCpuS: burstEndCpu - burstStartCpu,
    burstPeakRssMb: burstPeakKb / 1024,
    rate: load.rate,
    errors: load.errors,
  };
}
