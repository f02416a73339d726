/**
 * npm test: lint, type-check, and every file under test/unit and test/integration, in lanes that
 * run side by side.
 *
 * - The precise lane: the files listed in PRECISE below, one at a time, in that order, at a higher
 *   CPU priority than anything else the tests start (nice -10 where the user may raise it). A file
 *   belongs there when an assertion of its depends on when things happen (a probe's lateness, a
 *   sample's interval, a signal sent mid-burst, a deadline): such a file mostly sleeps, and wakes
 *   to a deadline that another test's CPU use must not push back.
 * - Two loaded lanes, at normal priority: the files listed in LOADED, whose assertions are verdicts
 *   on memory sampled under load. Each is mostly rests between bursts (probes at a few a second), so
 *   two side by side overlap one's rest with the other's burst; a verdict that changed with the CPU
 *   another test takes would be wrong on any shared CI machine too. They run longest first, taken
 *   from one queue; the precise lane takes from it too once its own files are done.
 * - The background lane, at the lowest CPU priority (nice 19, so it runs on what the others leave
 *   idle): lint and type-check, then every other test file, as many at a time as the machine has
 *   CPUs; and beside them, the programs the precise and loaded files start, built ahead into .cache
 *   (each is built once per source change; a file that finds none builds it itself).
 *
 * Ports are not a reason to serialise: every test listens on a port the kernel picks. Builds into
 * .cache are not either: each writes a file of its own and renames it into place.
 *
 *   node --import tsx test/run-tests.ts [--list]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBundledBinary } from '../src/target/bundled-build.ts';
import { ensureFixtureBinary, ensureGinPlainBinary, ensureGoBinary } from './helpers/go-fixture.ts';
import { ensureJvmFixture } from './helpers/jvm-fixture.ts';
import { ensureHarnessBinary } from './helpers/k6-harness.ts';
import { failureAccount } from './helpers/failure-account.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Files whose assertions depend on when things happen, each with the assertion that makes it so,
 * in the order they run: those that need no build first, while the background lane builds.
 */
const PRECISE: Record<string, string> = {
  'test/unit/pacer.test.ts': 'each probe sent less than 15 ms after it was due',
  'test/unit/sample-sampler.test.ts': 'samples 100 ms apart, their mean gap within 20 ms',
  'test/integration/sample-command.test.ts': 'at least 8 samples in 2 s at 200 ms',
  'test/integration/steady.test.ts': 'every request sent on schedule, none left unsent',
  'test/integration/secrets.test.ts': "a steady run's schedule, a soak's counts",
  'test/integration/prometheus-source.test.ts': 'two samplers agree within one scrape interval',
  'test/integration/bundled-target.test.ts': 'idle probes sent less than 50 ms after they were due (all but one)',
  'test/integration/interrupt.test.ts': 'a signal sent while the burst is running',
  'test/integration/report-browser.test.ts': 'the live view receives the run while it runs',
  'test/integration/target-identity.test.ts': 'a process identified 300 ms after it was started',
  'test/integration/faults.test.ts': 'a stalled run ends within 15 s, its timeouts counted',
  'test/integration/http1-conformance.test.ts': 'request timeouts, and two threads ending within 2 s of an abort',
  'test/integration/k6-harness.test.ts': 'arrivals run or dropped, none delayed; maxDuration kept',
  'test/integration/k6-bundles.test.ts': 'probes paced 500 ms apart, phases following within seconds',
  'test/integration/k6-requests.test.ts': 'ramping arrivals within 100 ms of their due time',
};

/**
 * Files whose assertions are verdicts on memory sampled under load, each with its seconds in a
 * fresh-clone CI run (the longest start first) and what it checks.
 */
const LOADED: Record<string, [seconds: number, why: string]> = {
  'test/integration/package-and-action.test.ts': [
    160,
    'SIGTERM 500 ms into a burst; verdicts on soaks from the Action',
  ],
  'test/integration/diagnosis.test.ts': [126, 'verdicts on memory sampled under load, an OOM kill under a limit'],
  'test/integration/runtimes.test.ts': [109, 'plateau against growth, sampled every 100 ms under load'],
  'test/integration/retained-servers.test.ts': [111, 'what Go and Node.js servers retain per burst, at rest'],
  'test/integration/retained-servers-py-jvm.test.ts': [87, 'what Python and JVM servers retain per burst, at rest'],
  'test/integration/baseline-gate.test.ts': [76, 'what two builds retain per burst, sampled at rest after loads'],
  'test/integration/watched-verdicts.test.ts': [72, "verdicts on memory sampled under another tool's load"],
  'test/integration/jvm-runtime.test.ts': [52, 'JVM verdicts sampled under load'],
  'test/integration/runtime-gin.test.ts': [15, 'Gin verdicts from gctrace and pprof, sampled under load'],
};

/** The lowest CPU priority, for the background lane and everything it starts. */
const NICE = ['nice', '-n', '19'];
/** A higher one for the precise lane, where the user may raise priorities (root, as in CI). */
const PRECISE_NICE = process.getuid?.() === 0 ? ['nice', '-n', '-10'] : [];

function testFiles(): string[] {
  return ['test/unit', 'test/integration'].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => `${dir}/${f}`),
  );
}

/**
 * What failed, named again at the end with the test runner's own account of each failure: the
 * lanes' output is interleaved, and a CI log is often kept only by its tail.
 */
const failed: { label: string; account: string }[] = [];

function exec(command: string[], label: string): Promise<boolean> {
  const started = Date.now();
  console.log(`\n# start ${label}: ${command.join(' ')}`);
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return new Promise((done) => {
    let settled = false;
    const end = (outcome: string, ok: boolean): void => {
      if (settled) return; // a command that cannot start reports 'error', then 'close'
      settled = true;
      console.log(`# end ${label}: ${outcome}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (!ok) failed.push({ label, account: failureAccount(output) });
      done(ok);
    };
    child.on('error', (err) => end(`could not start ${command[0]}: ${err.message}`, false));
    child.on('close', (code, signal) => end(`exit ${code ?? signal}`, code === 0));
  });
}

function nodeTest(files: string[], concurrency: number): string[] {
  return [
    process.execPath,
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ];
}

/** Runs its own files in order, then takes files from the shared queue until it is empty. */
async function lane(own: string[], queue: string[], prefix: string[]): Promise<boolean> {
  let ok = true;
  for (const f of own) ok = (await exec([...prefix, ...nodeTest([f], 1)], f)) && ok;
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) ok = (await exec(nodeTest([f], 1), f)) && ok;
  return ok;
}

/** The precise and loaded files' programs, one build at a time; a build that fails is left to its test to report. */
async function buildAhead(): Promise<void> {
  const builds: [string, () => Promise<unknown>][] = [
    ['the bundled target (plain)', () => ensureBundledBinary('plain', () => {})],
    ['the bundled target (race)', () => ensureBundledBinary('race', () => {})],
    ['test/fixtures/go-servers', ensureFixtureBinary],
    ['test/fixtures/gin-plain', ensureGinPlainBinary],
    [
      'test/fixtures/http1-servers/go',
      () => ensureGoBinary(join(ROOT, 'test/fixtures/http1-servers/go'), 'fixture-http1-go', 'http1-server'),
    ],
    ['test/k6-harness', ensureHarnessBinary],
    ['test/fixtures/jvm-servers', () => ensureJvmFixture()],
  ];
  for (const [what, build] of builds) {
    const started = Date.now();
    await build().then(
      () => console.log(`# built ahead: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
      (err: unknown) =>
        console.log(`# building ${what} ahead failed (its tests build it and say why): ${String(err).split('\n')[0]}`),
    );
  }
}

async function backgroundLane(files: string[]): Promise<boolean> {
  const checks = async (): Promise<boolean> => {
    const lint = await exec([...NICE, 'npm', 'run', '--silent', 'lint'], 'lint');
    const typecheck = await exec([...NICE, 'npm', 'run', '--silent', 'typecheck'], 'typecheck');
    return lint && typecheck;
  };
  // The tests start once the builds are done (some of them start the same programs, and would
  // build them again), beside lint and type-check rather than after them: the three together
  // keep both CPUs busy at nice 19 where one of them alone left one idle. The builds run in a
  // process of their own, niced, so that the compilers it starts are too.
  const tests = async (): Promise<boolean> => {
    await exec(
      [...NICE, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--build-ahead'],
      'builds ahead',
    );
    return exec([...NICE, ...nodeTest(files, Math.max(2, availableParallelism()))], 'background tests');
  };
  const oks = await Promise.all([checks(), tests()]);
  return !oks.includes(false);
}

/** Busy and total jiffies of all CPUs so far, from /proc/stat (undefined where there is none). */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--build-ahead')) return buildAhead();
  const named = [...Object.keys(PRECISE), ...Object.keys(LOADED)];
  const missing = named.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length > 0) {
    // A renamed file would otherwise leave these lists and run in the background lane without a word.
    console.error(`test/run-tests.ts: PRECISE or LOADED names files that do not exist: ${missing.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  // Integration files first: the longest of them start first and the many short unit files fill
  // in beside them, instead of a minute-long file starting last and running on alone.
  const background = testFiles()
    .filter((f) => !named.includes(f))
    .sort((a, b) => Number(b.startsWith('test/integration/')) - Number(a.startsWith('test/integration/')));
  const precise = Object.keys(PRECISE);
  const loaded = Object.keys(LOADED).sort((a, b) => LOADED[b]![0] - LOADED[a]![0]);
  if (process.argv.includes('--list')) {
    for (const f of background) console.log(`background ${f}`);
    for (const f of precise) console.log(`precise    ${f}: ${PRECISE[f]}`);
    for (const f of loaded) console.log(`loaded     ${f}: ${LOADED[f]![1]}`);
    return;
  }
  const started = Date.now();
  const cpuBefore = cpuTimes();
  const oks = await Promise.all([
    lane(precise, loaded, PRECISE_NICE),
    lane([], loaded, []),
    lane([], loaded, []),
    backgroundLane(background),
  ]);
  const cpuAfter = cpuTimes();
  // How busy the machine was says whether more lanes could shorten the run or only share the CPUs.
  const busy =
    cpuBefore && cpuAfter
      ? `, the machine's CPUs ${(((cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total)) * 100).toFixed(0)}% busy`
      : '';
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s${busy}`;
  for (const f of failed)
    console.log(`\n# what failed in ${f.label}:\n${f.account || '(no failing test named; see its output above)'}`);
  const names = failed.map((f) => f.label).join(', ');
  console.log(`\n# npm test: ${took}, ${failed.length === 0 ? 'passed' : `FAILED: ${names}`}`);
  if (oks.includes(false)) process.exitCode = 1;
}

await main();
