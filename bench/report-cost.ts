import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { writeLongRun, type LongRunSpec } from './synthetic.ts';

export interface ReportCostCase {
  name: string;
  spec: LongRunSpec;
}

export interface ReportCost {
  name: string;
  samples: number;
  probes: number;
  /** Seconds of renderReport (read, analyse, draw, write) in a fresh process, per repetition. */
  renderS: number[];
  /**
   * Seconds of the whole command as a user runs it, `node --import tsx scripts/leakbench.ts
   * report DIR` from spawn to exit (Node, tsx, imports, the report), per repetition; `npm run`
   * adds its own start-up (about 0.3 s) to this.
   */
  commandS: number[];
  cpuS: number[];
  /** Peak RSS of the rendering process (Node and its imports included), per repetition. */
  peakMb: number[];
  /** RSS of that process before rendering: Node, tsx and the report's modules loaded. */
  baseMb: number;
  /** Where the time goes, from the warm re-run after the first: reading the files, and the analysis. */
  readS: number;
  summariseS: number;
}

interface ChildOutput {
  renderS: number;
  cpuS: number;
  peakMb: number;
  rssBeforeMb: number;
  readS: number;
  summariseS: number;
}

function renderInChild(dir: string): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'child', 'report-cost.ts'), dir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`report-cost child ended with code ${code}: ${err.trim().slice(-500)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildOutput);
    });
  });
}

/** The CLI's report command on `dir`, timed from spawn to exit. */
function commandInChild(dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'leakbench.ts'), 'report', dir],
      { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`leakbench report ended with code ${code}: ${err.trim().slice(-500)}`));
      resolve((performance.now() - t0) / 1000);
    });
  });
}

/**
 * Writes the run once, renders it `repeat` times, each in a new process, then runs the whole
 * command as often, and removes it.
 */
export async function measureReportCost(c: ReportCostCase, repeat: number): Promise<ReportCost> {
  const dir = writeLongRun(c.spec);
  try {
    const runs: ChildOutput[] = [];
    const commandS: number[] = [];
    for (let i = 0; i < repeat; i++) {
      runs.push(await renderInChild(dir));
      commandS.push(await commandInChild(dir));
    }
    const samples = Math.floor((c.spec.durationS * 1000) / c.spec.sampleIntervalMs) + 1;
    const outputs = readdirSync(dir);
    if (!outputs.includes('index.html') || !outputs.includes('memory.png'))
      throw new Error(`report-cost: ${dir} has no report after rendering`);
    return {
      name: c.name,
      samples,
      probes: c.spec.probes,
      renderS: runs.map((r) => r.renderS),
      commandS,
      cpuS: runs.map((r) => r.cpuS),
      peakMb: runs.map((r) => r.peakMb),
      baseMb: Math.min(...runs.map((r) => r.rssBeforeMb)),
      readS: Math.min(...runs.map((r) => r.readS)),
      summariseS: Math.min(...runs.map((r) => r.summariseS)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
