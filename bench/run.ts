/**
 * `npm run bench`: the pack's burst engines against wrk, the autocannon CLI and hey, the
 * sampler's overhead, probe pacing and the report's cost, on the bundled plain target, in one
 * process; then the time to reproduce the report (the 1M-request burst against the race build,
 * per engine), what the runtime sources cost, and what `--sites` costs a leaking server per
 * runtime (bench/sites.ts). Results are printed and written to bench/results/<machine>/<date>.md (bench/machine.ts names the machine).
 *
 *   npm run bench                  the full run (about 20 minutes on 2 cores)
 *   npm run bench -- --quick       a smoke run with small counts (about half a minute), printed only
 *   npm run bench -- --sections burst,pacing --rounds 3 --requests 300000 --out /tmp/b.md
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import {
  BURST_TOOLS,
  EXTERNAL_TOOLS,
  measureBurst,
  type BurstMeasurement,
  type BurstSetup,
  type BurstTool,
} from './burst.ts';
import { describeMachine } from './machine.ts';
import { renderResults, type BenchResults, type SectionLoad } from './markdown.ts';
import { measurePacing, type PacingRun } from './pacing.ts';
import { loadAverage } from './proc.ts';
import { measureReportCost, type ReportCost } from './report-cost.ts';
import { measureRunnerCost, type RunnerCost } from './runner-cost.ts';
import { measureSampleCost, measureSampledBurst, SAMPLING_MODES, type SamplerRun } from './sampler.ts';
import { QuietGate, type QuietGateOptions } from './quiet.ts';
import { rotatedOrder } from './stats.ts';
import { measureRuntimeCost, renderRuntimeCost } from './runtime-cost.ts';
import { measureSitesCost, SITES_RUNTIMES } from './sites.ts';
import { startNetHttpTarget, startPlainTarget, type BenchTarget } from './target.ts';

const SECTIONS = ['burst', 'sampler', 'pacing', 'runner', 'report', 'runtime', 'sites'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--sections ${SECTIONS.join(',')}] [--tools ${BURST_TOOLS.join(',')}]
                       [--rounds N] [--requests N] [--out FILE] [--quiet-cores C] [--quiet-wait S] [--quiet-budget S]`;

interface Plan {
  quick: boolean;
  sections: Section[];
  tools: BurstTool[];
  rounds: number;
  /** The sampler's effect is small, so it gets more rounds to rise above the noise. */
  samplerRounds: number;
  requests: number;
  connections: number;
  pacing: { rate: number; durationS: number; runs: number };
  runner: { requests: number; runs: number; variant: 'plain' | 'race' };
  report: { durationS: number; repeat: number; bigProbes: number };
  out: string | undefined;
  quiet: QuietGateOptions;
}

class BenchUsageError extends Error {}

function list<T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  what: string,
  fallback: readonly T[],
): T[] {
  if (raw === undefined) return [...fallback];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.find((s) => !(allowed as readonly string[]).includes(s));
  if (bad !== undefined)
    throw new BenchUsageError(`--${what}: unknown ${JSON.stringify(bad)}; expected some of ${allowed.join(',')}`);
  return items as T[];
}

function positive(raw: string | undefined, what: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new BenchUsageError(`--${what}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function plan(argv: string[]): Plan {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      sections: { type: 'string' },
      tools: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      out: { type: 'string' },
      'quiet-cores': { type: 'string' },
      'quiet-wait': { type: 'string' },
      'quiet-budget': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) throw new BenchUsageError(USAGE);
  const quick = v.quick === true;
  const date = new Date().toISOString().slice(0, 10);
  const rounds = Math.floor(positive(v.rounds, 'rounds', quick ? 1 : 7));
  return {
    quick,
    sections: list(v.sections, SECTIONS, 'sections', SECTIONS),
    tools: list(v.tools, BURST_TOOLS, 'tools', ['pack-net', 'pack-autocannon', 'wrk', 'autocannon-cli', 'hey']),
    rounds,
    samplerRounds: v.rounds === undefined && !quick ? 11 : rounds,
    requests: Math.floor(positive(v.requests, 'requests', quick ? 30_000 : 300_000)),
    connections: 100,
    pacing: quick ? { rate: 50, durationS: 3, runs: 1 } : { rate: 50, durationS: 12, runs: 2 },
    // The report's reproduction as a user runs it (the race build, 1M requests), once per
    // engine per run, the default (net) first on odd runs. A smoke run uses the plain build.
    runner: quick ? { requests: 50_000, runs: 1, variant: 'plain' } : { requests: 1_000_000, runs: 1, variant: 'race' },
    report: quick ? { durationS: 600, repeat: 1, bigProbes: 0 } : { durationS: 3600, repeat: 3, bigProbes: 1_000_000 },
    // A smoke run is for seeing that it works; its numbers are not worth a file unless asked.
    // One folder per machine, so results from different machines are never read as one series.
    out: v.out ?? (quick ? undefined : join(REPO_ROOT, 'bench', 'results', describeMachine().name, `${date}.md`)),
    // A smoke run does not wait for the machine; a full run waits up to 20 s before each
    // measurement and five minutes in all for other jobs to use less than a quarter core, so a
    // machine that is never quiet delays the benchmark by minutes at most (and the results
    // record how busy it was).
    quiet: {
      maxOtherCores: positive(v['quiet-cores'], 'quiet-cores', 0.25),
      maxWaitS: v['quiet-wait'] === undefined && quick ? 0 : positive(v['quiet-wait'], 'quiet-wait', 20),
      budgetS: v['quiet-budget'] === undefined && quick ? 0 : positive(v['quiet-budget'], 'quiet-budget', 300),
    },
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function installed(bin: string): boolean {
  try {
    execFileSync(bin, bin === 'wrk' ? ['-v'] : [], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk -v and hey without arguments exit 1 after printing; only a missing binary is ENOENT.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** A section that fails is noted in the results and the others still run and get written. */
async function guarded<T>(name: string, failures: string[], body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (err) {
    log(`${name}: failed: ${(err as Error).stack ?? String(err)}`);
    failures.push(`${name}: ${(err as Error).message}`);
    return undefined;
  }
}

async function section<T>(name: string, body: () => Promise<T>): Promise<T & { load: SectionLoad }> {
  const before = loadAverage();
  const started = Date.now();
  log(`${name}: start (load ${before[0].toFixed(2)})`);
  const result = await body();
  const after = loadAverage();
  log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s (load ${after[0].toFixed(2)})`);
  return { ...result, load: { before, after } };
}

async function burstSection(
  p: Plan,
  setups: BurstSetup[],
  gate: QuietGate,
): Promise<Omit<NonNullable<BenchResults['burst']>, 'load'>> {
  const skipped: string[] = [];
  let tools = p.tools;
  for (const tool of [...tools]) {
    const ext = EXTERNAL_TOOLS[tool];
    if (ext && !installed(ext.bin)) {
      skipped.push(`${ext.bin} is not installed (Debian: ${ext.install})`);
      tools = tools.filter((t) => t !== tool);
    }
  }
  const runs: BurstMeasurement[] = [];
  // A round runs every tool once against each target, back to back, so its pairs share the noise.
  for (const [i, order] of rotatedOrder(tools, p.rounds).entries()) {
    for (const setup of setups) {
      for (const tool of order) {
        gate.setTarget(setup.targetPid);
        await gate.wait();
        const m = { ...(await measureBurst(tool, setup)), round: i + 1 };
        log(
          `burst round ${i + 1}/${p.rounds} ${setup.targetName} ${tool}: ${m.clientCpuMsPerKreq.toFixed(1)} µs CPU/req (target ${m.targetCpuMsPerKreq.toFixed(1)}), ${Math.round(m.rate).toLocaleString('en-US')} req/s, others ${m.otherCores.toFixed(2)} cores`,
        );
        runs.push(m);
      }
    }
  }
  return {
    requests: p.requests,
    connections: p.connections,
    rounds: p.rounds,
    wrkSeconds: setups[0]!.wrkSeconds,
    targets: setups.map((s) => ({ name: s.targetName ?? 'gin', path: s.url.pathname })),
    runs,
    skipped,
  };
}

const GIN = 'gin';
const NET_HTTP = 'net/http';

/** The second target, net/http alone, for the length of `body`; wrk runs as long against it. */
async function withNetHttp<T>(gin: BurstSetup, body: (s: BurstSetup) => Promise<T>): Promise<T> {
  const t = await startNetHttpTarget();
  try {
    return await body({ ...gin, targetName: NET_HTTP, url: t.url, targetPid: t.pid });
  } finally {
    await t.stop();
  }
}

async function samplerSection(
  p: Plan,
  setup: BurstSetup,
  target: BenchTarget,
  gate: QuietGate,
): Promise<Omit<NonNullable<BenchResults['sampler']>, 'load'>> {
  await gate.wait();
  const cost = await measureSampleCost(setup, target.metricsUrl, p.quick ? 30 : 200);
  const runs: SamplerRun[] = [];
  for (const [i, order] of rotatedOrder(SAMPLING_MODES, p.samplerRounds).entries()) {
    for (const mode of order) {
      await gate.wait();
      const r = await measureSampledBurst(mode, setup, target.metricsUrl);
      log(
        `sampler round ${i + 1}/${p.samplerRounds} ${mode}: ${Math.round(r.burst.rate).toLocaleString('en-US')} req/s, ${r.samples} samples, others ${r.burst.otherCores.toFixed(2)} cores`,
      );
      runs.push(r);
    }
  }
  return { requests: p.requests, rounds: p.samplerRounds, runs, cost };
}

async function pacingSection(p: Plan, target: BenchTarget, gate: QuietGate): Promise<{ runs: PacingRun[] }> {
  const runs: PacingRun[] = [];
  for (let i = 0; i < p.pacing.runs; i++) {
    await gate.wait();
    const r = await measurePacing(target.url, target.pid, target.metricsUrl, p.pacing.rate, p.pacing.durationS);
    log(
      `pacing run ${i + 1}/${p.pacing.runs}: ${r.sent}/${r.scheduled} probes sent, others ${r.otherCores.toFixed(2)} cores`,
    );
    runs.push(r);
  }
  return { runs };
}

async function runnerSection(p: Plan, gate: QuietGate): Promise<{ runs: RunnerCost[] }> {
  const runs: RunnerCost[] = [];
  const engines = rotatedOrder(['net', 'autocannon'] as const, p.runner.runs).flat();
  for (const [i, engine] of engines.entries()) {
    await gate.wait();
    const r = await measureRunnerCost(engine, p.runner.requests, p.runner.variant, log);
    log(
      `runner run ${i + 1}/${engines.length} (--engine ${engine}, ${p.runner.variant}): ${r.wallS.toFixed(1)} s wall, burst ${r.burstS.toFixed(1)} s, peak RSS ${r.burstPeakRssMb.toFixed(1)} MB, ${r.burstCpuS.toFixed(1)} CPU s during the burst`,
    );
    runs.push(r);
  }
  return { runs };
}

async function reportSection(p: Plan, gate: QuietGate): Promise<{ cases: ReportCost[] }> {
  const base = { durationS: p.report.durationS, sampleIntervalMs: 100, burstRequests: 1_000_000 };
  const idleS = p.report.durationS - 40;
  const cases = [{ name: '1/s probes', spec: { ...base, probes: idleS } }];
  if (p.report.bigProbes > 0) {
    const label =
      p.report.bigProbes >= 1e6 ? `${p.report.bigProbes / 1e6}M` : p.report.bigProbes.toLocaleString('en-US');
    cases.push({ name: `${label} probe records`, spec: { ...base, probes: p.report.bigProbes } });
  }
  const out: ReportCost[] = [];
  for (const c of cases) {
    await gate.wait();
    const r = await measureReportCost(c, p.report.repeat);
    log(`report ${c.name}: ${r.renderS.map((s) => s.toFixed(2)).join(', ')} s`);
    out.push(r);
  }
  return { cases: out };
}

async function main(argv: string[]): Promise<number> {
  const p = plan(argv);
  const machine = describeMachine();
  log(`${machine.cpus} CPUs, ${machine.cpuModel}; load average ${machine.loadBefore.join(' ')}`);
  const target = await startPlainTarget(log);
  const gate = new QuietGate(target.pid, p.quiet, log);
  const failures: string[] = [];
  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    quick: p.quick,
    ...(p.sections.includes('report') && { reportRunS: p.report.durationS }),
    machine,
    loadAfter: machine.loadBefore,
    target: { goVersion: target.binary.goVersion, binary: relative(REPO_ROOT, target.binary.path) },
  };
  try {
    const setup: BurstSetup = {
      targetName: GIN,
      url: target.url,
      targetPid: target.pid,
      requests: p.requests,
      connections: p.connections,
      wrkSeconds: 2,
      timeoutMs: 10_000,
    };
    if (p.sections.includes('burst') || p.sections.includes('sampler')) {
      // Warm the target (and the JIT) up, and size wrk's run to about the pack's time for the count.
      const warm = await measureBurst('pack-net', { ...setup, requests: Math.max(10_000, Math.floor(p.requests / 5)) });
      setup.wrkSeconds = Math.min(60, Math.max(2, Math.round(p.requests / warm.rate)));
      log(`warm-up: ${Math.round(warm.rate).toLocaleString('en-US')} req/s; wrk will run ${setup.wrkSeconds} s`);
    }
    if (p.sections.includes('burst'))
      results.burst = await guarded('burst', failures, () =>
        section('burst', () => withNetHttp(setup, (second) => burstSection(p, [setup, second], gate))),
      );
    gate.setTarget(target.pid);
    if (p.sections.includes('sampler'))
      results.sampler = await guarded('sampler', failures, () =>
        section('sampler', () => samplerSection(p, setup, target, gate)),
      );
    if (p.sections.includes('pacing'))
      results.pacing = await guarded('pacing', failures, () => section('pacing', () => pacingSection(p, target, gate)));
  } finally {
    await target.stop();
  }
  // These start their own processes (and the runner its own target): the bench target is gone.
  gate.setTarget(undefined);
  if (p.sections.includes('runner'))
    results.runner = await guarded('runner', failures, () => section('runner', () => runnerSection(p, gate)));
  if (p.sections.includes('report'))
    results.report = await guarded('report', failures, () => section('report', () => reportSection(p, gate)));
  // Its own servers, fresh for each measurement (a source's launch environment acts at start).
  const runtimeCost = p.sections.includes('runtime')
    ? await guarded('runtime', failures, () =>
        measureRuntimeCost({ rounds: p.quick ? 1 : p.rounds, scale: p.quick ? 0.2 : 1, gate }, log),
      )
    : undefined;
  if (p.sections.includes('sites'))
    results.sites = await guarded('sites', failures, () =>
      section('sites', () =>
        measureSitesCost(
          // Each runtime's requests are a few seconds of its rate here; a smoke run a tenth of that.
          { rounds: p.rounds, scale: p.quick ? 0.1 : 1, runtimes: SITES_RUNTIMES, beforeEach: () => gate.wait() },
          log,
        ),
      ),
    );
  if (failures.length > 0) results.failures = failures;
  results.loadAfter = loadAverage();
  results.quietWait = {
    waits: gate.waits,
    gaveUp: gate.gaveUp,
    seconds: gate.waitedS,
    maxOtherCores: p.quiet.maxOtherCores,
  };

  const text = renderResults(results) + (runtimeCost ? `\n${renderRuntimeCost(runtimeCost)}` : '');
  process.stdout.write(text);
  if (p.out) {
    mkdirSync(dirname(p.out), { recursive: true });
    writeFileSync(p.out, text);
    log(`written to ${relative(process.cwd(), p.out) || p.out}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BenchUsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`${(err as Error).message}\n${err instanceof BenchUsageError ? '' : USAGE + '\n'}`);
      process.exit(2);
    }
    process.stderr.write(`bench: failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
