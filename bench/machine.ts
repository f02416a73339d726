import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { loadAverage } from './proc.ts';

export interface Machine {
  /** What the results are filed under (bench/results/<name>/): CPU model and count, as a slug. */
  name: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  wrk: string;
  autocannon: string;
  loadBefore: [number, number, number];
}

function firstMatch(file: string, re: RegExp): string | undefined {
  try {
    return re.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** wrk -v prints its version and exits non-zero; the text is what matters. */
function wrkVersion(): string {
  try {
    return execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]!
      .trim();
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}`.split('\n')[0]?.trim();
    return out || 'not installed';
  }
}

/**
 * A machine's name for its results folder: the CPU model and the CPU count, which decide what a
 * load test can reach; not the host name, which says nothing to a reader and may be private.
 */
export function machineName(cpuModel: string, cpus: number): string {
  const model = cpuModel
    .toLowerCase()
    .replace(/\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$|\d+-core/g, ' ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${model || 'unknown-cpu'}-${cpus}cpu`;
}

export function describeMachine(): Machine {
  const require = createRequire(import.meta.url);
  const autocannon = (
    JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }
  ).version;
  const cpuModel = firstMatch('/proc/cpuinfo', /^model name\s*:\s*(.+)$/m) ?? 'unknown';
  return {
    name: machineName(cpuModel, availableParallelism()),
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    wrk: wrkVersion(),
    autocannon,
    loadBefore: loadAverage(),
  };
}
