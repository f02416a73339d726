/**
 * `npm run bench:verdicts`: how often the pack's verdicts are right, measured on a labelled
 * corpus (bench/verdict-corpus/: servers in Go, Node.js, Python, the JVM and C, each saying in
 * its header what it does and which verdict class it should get). Each server is built from
 * source in a temporary folder and soaked R times with the pack's CI soak and `--fail-on
 * growth`; the results (a confusion matrix by runtime and behaviour, the detection rate, the
 * false-positive rate of the gate, the smallest leak detected, the time taken) are printed and
 * written to bench/results/<machine>/<date>-verdicts[-quick].md and .json, rewritten after every
 * run so that an interrupted benchmark keeps what it measured.
 *
 *   npm run bench:verdicts                         every server, twice (about 3 minutes a run)
 *   npm run bench:verdicts -- --quick --runs 1     the representative third (`quick: yes`), once
 *   npm run bench:verdicts -- --only go-slow-leak,c-pool --runs 3 --out /tmp/v.md
 *   npm run bench:verdicts -- --parallel 2        two soaks at a time (most of a soak is rests)
 *   npm run bench:verdicts -- --render bench/results/<machine>/<date>-verdicts.json   Markdown again
 *   npm run bench:verdicts -- --reanalyse FILE.json [--keep DIR]   today's analysis on its kept runs
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/target/bundled-build.ts';
import { describeMachine } from './machine.ts';
import { loadAverage } from './proc.ts';
import { readCorpus, type CorpusServer } from './verdicts/corpus.ts';
import { renderVerdictBench, type VerdictBenchResults } from './verdicts/markdown.ts';
import { isRight, type RunRecord } from './verdicts/matrix.ts';
import { prepareServer, type PreparedServer } from './verdicts/prepare.ts';
import { reanalyseRuns } from './verdicts/reanalyse.ts';
import { SOAK_FLAGS, soakOnce, stopSoaks, type SoakOutcome } from './verdicts/soak.ts';

const USAGE = `usage: npm run bench:verdicts -- [--runs R (default 2)] [--quick] [--only NAME,...] [--out FILE.md]
                                [--run-timeout MINUTES (default 12)] [--parallel N (default 1)]
                                [--keep DIR] [--list] [--render FILE.json] [--reanalyse FILE.json]`;

class BenchUsageError extends Error {}

interface Plan {
  servers: CorpusServer[];
  runs: number;
  quick: boolean;
  /** Soaks at a time. */
  parallel: number;
  runTimeoutMs: number;
  out: string;
  keep: string;
  list: boolean;
  render: string | undefined;
  reanalyse: string | undefined;
  /** --keep as given (the run directories of the file --reanalyse reads). */
  keepGiven: boolean;
}

function plan(argv: string[]): Plan {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      'run-timeout': { type: 'string' },
      parallel: { type: 'string' },
      keep: { type: 'string' },
      list: { type: 'boolean' },
      render: { type: 'string' },
      reanalyse: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) throw new BenchUsageError(USAGE);
  const count = (raw: string | undefined, flag: string, fallback: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new BenchUsageError(`--${flag}: expected a whole number of 1 or more, got ${raw}`);
    return n;
  };
  const corpus = readCorpus();
  let servers = v.quick ? corpus.filter((s) => s.quick) : corpus;
  if (v.only !== undefined) {
    const names = v.only.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !corpus.some((s) => s.name === n));
    if (unknown.length > 0)
      throw new BenchUsageError(`--only: no corpus server named ${unknown.join(', ')}; --list shows them`);
    servers = servers.filter((s) => names.includes(s.name));
    if (servers.length === 0) throw new BenchUsageError('--only: none of those servers is in the --quick third');
  }
  const date = new Date().toISOString().slice(0, 10);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `${date}-verdicts${v.quick ? '-quick' : ''}${v.only ? '-only' : ''}.md`;
  return {
    servers,
    runs: count(v.runs, 'runs', 2),
    quick: v.quick === true,
    parallel: count(v.parallel, 'parallel', 1),
    runTimeoutMs: count(v['run-timeout'], 'run-timeout', 12) * 60_000,
    out: v.out ?? join(REPO_ROOT, 'bench', 'results', describeMachine().name, file),
    keep: v.keep ?? join(REPO_ROOT, 'reports', `bench-verdicts-${stamp}`),
    list: v.list === true,
    render: v.render,
    reanalyse: v.reanalyse,
    keepGiven: v.keep !== undefined,
  };
}

const log = (line: string) => process.stderr.write(`bench:verdicts: ${line}\n`);

/** The first line a tool prints about its version (java -version prints it on stderr). */
function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return 'not installed';
  return `${r.stdout}\n${r.stderr}`.trim().split('\n')[0]!.trim() || 'unknown';
}

function toolchains(): Record<string, string> {
  return {
    go: version('go', ['version']),
    node: process.version,
    python: version('python3', ['--version']),
    java: version('java', ['-version']),
    gcc: version('gcc', ['--version']),
  };
}

function write(out: string, res: VerdictBenchResults): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderVerdictBench(res));
  writeFileSync(out.replace(/\.md$/, '') + '.json', `${JSON.stringify(res, null, 2)}\n`);
}

async function buildAll(p: Plan, root: string, res: VerdictBenchResults): Promise<Map<string, PreparedServer>> {
  const built = new Map<string, PreparedServer>();
  for (const s of p.servers) {
    try {
      const prepared = await prepareServer(s, root);
      built.set(s.name, prepared);
      log(`built ${s.name} (${prepared.buildS.toFixed(1)} s)`);
    } catch (err) {
      res.skipped.push({ server: s.name, reason: (err as Error).message.split('\n')[0]! });
      log(`skipped ${s.name}: ${(err as Error).message}`);
    }
  }
  return built;
}

function recordOf(s: CorpusServer, run: number, o: SoakOutcome): RunRecord {
  return {
    server: s.name,
    runtime: s.runtime,
    behaviour: s.behaviour,
    expect: s.expect,
    accept: s.accept,
    ...(s.leak && { leak: s.leak }),
    run,
    ...(o.kind !== undefined && { kind: o.kind }),
    got: o.got,
    exitCode: o.exitCode,
    summary: o.summary,
    evidence: o.evidence,
    wallS: o.wallS,
  };
}

function newResults(p: Plan, argv: string[]): VerdictBenchResults {
  const machine = describeMachine();
  return {
    schema: 'leakbench.bench-verdicts/1',
    date: new Date().toISOString().slice(0, 10),
    quick: p.quick,
    runsPerServer: p.runs,
    parallel: p.parallel,
    keep: relative(REPO_ROOT, p.keep) || '.',
    command: `npm run bench:verdicts -- ${argv.join(' ')}`.trim(),
    soakFlags: SOAK_FLAGS,
    machine,
    loadAfter: machine.loadBefore,
    toolchains: toolchains(),
    skipped: [],
    runs: [],
    wallS: 0,
  };
}

/**
 * Run by run over all servers, so that a change in the machine's load falls on every server alike;
 * with --parallel N, N soaks at a time take the next from that queue. Most of a soak is rests at
 * two probes a second, so two side by side mostly overlap one's rest with the other's burst; when
 * their bursts meet, each gets half the machine, as on a shared CI runner, and a verdict that
 * changed with that would be wrong there too.
 */
async function soakAll(p: Plan, built: Map<string, PreparedServer>, res: VerdictBenchResults, started: number) {
  const queue: { s: CorpusServer; prepared: PreparedServer; run: number }[] = [];
  for (let run = 1; run <= p.runs; run++)
    for (const s of p.servers) {
      const prepared = built.get(s.name);
      if (prepared) queue.push({ s, prepared, run });
    }
  const total = queue.length;
  let begun = 0;
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { s, prepared, run } = next;
      log(`[${++begun}/${total}] ${s.name} run ${run}: soak (load ${loadAverage()[0].toFixed(2)})`);
      const o = await soakOnce({
        command: prepared.command,
        outDir: p.keep,
        name: `${s.name}-${run}`,
        timeoutMs: p.runTimeoutMs,
      });
      const record = recordOf(s, run, o);
      res.runs.push(record);
      log(
        `  ${s.name} run ${run}: ${o.kind ?? 'no verdict'} (${o.got}), exit ${o.exitCode}, ${Math.round(o.wallS)} s: ${isRight(record) ? 'right' : `WRONG, expected ${s.accept.join(' or ')}`}`,
      );
      res.loadAfter = loadAverage();
      res.wallS = (performance.now() - started) / 1000;
      write(p.out, res);
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.parallel, Math.max(1, total)) }, worker));
}

/**
 * `--render FILE.json`: the Markdown again from a results file, each run's label (behaviour,
 * expected and accepted classes, leak size) taken from the corpus as it is now; what was
 * measured (the verdict, the exit code, the evidence, the time) is left as it was.
 */
function render(file: string): void {
  const res = readResults(file, '--render');
  const corpus = new Map(readCorpus().map((s) => [s.name, s]));
  res.runs = res.runs.map((r) => {
    const s = corpus.get(r.server);
    if (!s) return r;
    const { leak: _old, ...rest } = r;
    return { ...rest, behaviour: s.behaviour, expect: s.expect, accept: s.accept, ...(s.leak && { leak: s.leak }) };
  });
  write(file.replace(/\.json$/, '.md'), res);
  log(`rendered ${file.replace(/\.json$/, '.md')} with the corpus's labels`);
}

/** `--reanalyse FILE.json`: the kept runs of a results file through today's analysis, written beside it. */
function reanalyse(file: string, p: Plan): void {
  const res = readResults(file, '--reanalyse');
  const kept = p.keepGiven ? p.keep : res.keep === undefined ? undefined : join(REPO_ROOT, res.keep);
  if (kept === undefined)
    throw new BenchUsageError(`--reanalyse: ${file} does not say where its run directories are; give --keep DIR`);
  if (!existsSync(kept)) throw new BenchUsageError(`--reanalyse: no run directories at ${kept} (--keep DIR)`);
  const again = reanalyseRuns(res.runs, kept);
  for (const c of again.changed) log(`changed: ${c}`);
  if (again.missing.length > 0) log(`left as measured (no run directory or no verdict): ${again.missing.join(', ')}`);
  const out = file.replace(/\.json$/, '') + '-reanalysed.md';
  write(out, {
    ...res,
    runs: again.runs,
    command: `${res.command}, then npm run bench:verdicts -- --reanalyse ${relative(REPO_ROOT, file)} at commit ${headCommit()}`,
  });
  log(`${again.changed.length} verdict(s) changed; written to ${relative(process.cwd(), out) || out} and .json`);
}

function headCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function readResults(file: string, flag: string): VerdictBenchResults {
  const res = JSON.parse(readFileSync(file, 'utf8')) as VerdictBenchResults;
  if (res.schema !== 'leakbench.bench-verdicts/1')
    throw new BenchUsageError(`${flag}: ${file} is not a bench:verdicts results file (schema ${String(res.schema)})`);
  return res;
}

async function main(argv: string[]): Promise<number> {
  const p = plan(argv);
  if (p.list) {
    for (const s of readCorpus())
      process.stdout.write(`${s.name}\t${s.behaviour}\t${s.accept.join(',')}${s.quick ? '\tquick' : ''}\n`);
    return 0;
  }
  if (p.render !== undefined) {
    render(p.render);
    return 0;
  }
  if (p.reanalyse !== undefined) {
    reanalyse(p.reanalyse, p);
    return 0;
  }
  const started = performance.now();
  const res = newResults(p, argv);
  const root = mkdtempSync(join(tmpdir(), 'leakbench-corpus-'));
  // Interrupted: what was measured is already written; stop the soak under way and clean up.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => {
      stopSoaks();
      rmSync(root, { recursive: true, force: true });
      log(`interrupted (${signal}); ${res.runs.length} runs written to ${p.out}`);
      process.exit(code);
    });
  log(
    `${p.servers.length} servers × ${p.runs} runs, ${p.parallel} at a time; builds in ${root}; run directories in ${p.keep}`,
  );
  try {
    await soakAll(p, await buildAll(p, root, res), res, started);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  res.wallS = (performance.now() - started) / 1000;
  write(p.out, res);
  process.stdout.write(renderVerdictBench(res));
  log(`written to ${relative(process.cwd(), p.out) || p.out} and .json`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BenchUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${err instanceof BenchUsageError ? '' : USAGE + '\n'}`);
      process.exit(2);
    }
    process.stderr.write(`bench:verdicts: failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
