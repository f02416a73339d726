/**
 * leakbench as another project gets it: the tarball `npm pack` makes, installed with npm (its
 * dependencies from the registry, through npm's cache), run as plain JavaScript; and the
 * GitHub Action at the repository root, its steps played as the runner would (see
 * test/helpers/actions-runner.ts) in a scratch repository that holds only the example Go
 * service and its workflow (examples/go-service). One tarball and one install serve the file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ExitCode } from '../../src/errors.ts';
import { FILES, type RunFile } from '../../src/rundir/schema.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { ensureBundledBinary, REPO_ROOT } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import {
  parseOutputFile,
  playCompositeAction,
  playStep,
  type ActionMetadata,
  type Job,
  type Json,
  type Step,
} from '../helpers/actions-runner.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'go-service');
const EXAMPLE_WORKFLOW = join(EXAMPLE, '.github', 'workflows', 'memory.yml');
/** The baseline gate's example: the pull request's base and head, built alike, the head gated against the base. */
const BASELINE_WORKFLOW = join(EXAMPLE, '.github', 'workflows', 'memory-baseline.yml');
const ACTION = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionMetadata;

const work = mkdtempSync(join(tmpdir(), 'leakbench-pkg-'));
let tarball = '';
let prefix = '';
let bin = '';
let greeter = '';

/** The environment of a user's shell: nothing of this checkout's own settings. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LEAKBENCH_CACHE_DIR;
  delete env.GITHUB_STEP_SUMMARY;
  delete env.GITHUB_OUTPUT;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

function installed(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(bin, args, {
    cwd: opts.cwd ?? work,
    env: opts.env ?? userEnv(),
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  // prepare builds dist/ first; npm pack prints the tarball's name last.
  const packed = execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tarball = join(work, packed.trim().split('\n').pop()!);
  prefix = join(work, 'user');
  mkdirSync(prefix);
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      tarball,
    ],
    { cwd: work, stdio: 'ignore', env: userEnv() },
  );
  bin = join(prefix, 'node_modules', '.bin', 'leakbench');
  if (findTool('go')) {
    greeter = join(work, 'greeter');
    execFileSync('go', ['build', '-o', greeter, '.'], { cwd: EXAMPLE });
  }
});

after(() => rmSync(work, { recursive: true, force: true }));

/** The Python startup hook ships as it is: the installed CLI puts its folder on a Python target's PYTHONPATH. */
const PYTHON_HOOK = 'src/sample/runtime/python/sitecustomize.py';

test('the tarball holds the built CLI, the bundled target and the k6 scripts, and nothing from test/, reports/ or .cache/', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  for (const needed of [
    'package.json',
    'README.md',
    'dist/leakbench.js',
    'dist/github-action.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/k6/burst.js',
    'dist/k6/idle.js',
    'dist/k6/soak.js',
    'dist/k6/burst.js.map',
    'targets/gin-health-check/main.go',
    'targets/gin-health-check/go.mod',
    'targets/gin-health-check/go.sum',
    PYTHON_HOOK,
  ]) {
    assert.ok(files.includes(needed), `${needed} missing from the tarball: ${files.join(', ')}`);
  }
  for (const f of files) {
    if (f === PYTHON_HOOK) continue;
    assert.doesNotMatch(
      f,
      /^(test|reports|\.cache|src|scripts|scenarios|bench|node_modules|examples|\.github|\.ci)\//,
      `${f} should not be in the tarball`,
    );
    assert.doesNotMatch(f, /(?<!\.d)\.ts$/, `${f}: TypeScript in the tarball`);
  }
  const pkg = JSON.parse(readFileSync(join(prefix, 'node_modules', 'leakbench', 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  assert.equal(pkg.bin.leakbench, 'dist/leakbench.js');
});

test('the installed CLI runs without a TypeScript toolchain, with the same output and exit codes as the npm scripts', async () => {
  for (const tool of ['tsx', 'typescript'])
    assert.ok(!existsSync(join(prefix, 'node_modules', tool)), `${tool} was installed with leakbench`);
  const cases: [string[], number][] = [
    [['--help'], ExitCode.ok],
    [[], ExitCode.usage],
    [['run', 'burst', '--requests', 'many'], ExitCode.usage],
    [['report', join(work, 'no-such-run')], ExitCode.usage],
    [['sample', '--pid', '1', '--duration', 'soon'], ExitCode.usage],
  ];
  for (const [args, code] of cases) {
    const fromTarball = installed(args);
    // From the checkout's root, where tsx resolves; no case prints a path relative to the folder.
    const fromCheckout = await runCli(args, { cwd: REPO_ROOT, env: userEnv() });
    assert.equal(fromTarball.code, code, `leakbench ${args.join(' ')}: ${fromTarball.stderr}`);
    assert.equal(fromCheckout.code, code, `tsx scripts/leakbench.ts ${args.join(' ')}`);
    assert.equal(fromTarball.stdout, fromCheckout.stdout, `stdout of leakbench ${args.join(' ')}`);
    assert.equal(fromTarball.stderr, fromCheckout.stderr, `stderr of leakbench ${args.join(' ')}`);
  }
});

test("from the installed package: a TypeScript scenario file that imports leakbench, run directories in the caller's folder, the bundled target in the user cache", async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the servers')) return;
  // The folder leakbench was installed into, as a project that depends on it.
  const project = prefix;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  writeFileSync(
    join(project, 'warm-then-burst.ts'),
    `import { burstPhase, defineScenario, type ScenarioParams } from 'leakbench';

const warmRequests = (p: ScenarioParams): number => Math.min(500, p.requests);

export default defineScenario({
  name: 'warm-then-burst',
  description: 'a few requests, then the burst',
  phases: (p: ScenarioParams) => [{ ...burstPhase('warm', p), requests: warmRequests(p), connections: 2 }, burstPhase('main', p)],
});
`,
  );
  // It type-checks against the package's declarations (dist/index.d.ts)...
  const tsc = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      'warm-then-burst.ts',
    ],
    { cwd: project, encoding: 'utf8' },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  // ...and runs without any TypeScript installed.
  const port = await freePort();
  const r = installed(
    [
      'run',
      './warm-then-burst.ts',
      '--cmd',
      `${greeter} -addr 127.0.0.1:${port}`,
      '--url',
      `http://127.0.0.1:${port}`,
      '--path',
      '/healthz',
      '--requests',
      '3000',
      '--connections',
      '5',
      '--settle',
      '0s',
      '--progress',
      'off',
      '--name',
      'warm',
    ],
    { cwd: project },
  );
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(readFileSync(join(project, 'reports', 'warm', FILES.run), 'utf8')) as RunFile;
  assert.equal(run.status, 'completed');
  assert.deepEqual(
    run.phases.map((p) => [p.name, p.result?.completed]),
    [
      ['warm', 500],
      ['main', 3000],
    ],
  );
  assert.match(r.stdout, /report: reports\/warm\/index\.html/);

  // The bundled reproducer: Go sources from the package, builds kept in $XDG_CACHE_HOME/leakbench.
  // The checkout's build is put where the installed CLI should look: it finds it only if the
  // shipped sources hash the same and it looks in the user cache (building gin again would
  // take minutes on a busy 2-core machine).
  const checkoutBuild = await ensureBundledBinary('plain', () => {});
  const xdg = join(work, 'xdg-cache');
  const cached = join(xdg, 'leakbench', 'targets', basename(dirname(checkoutBuild.path)));
  mkdirSync(cached, { recursive: true });
  cpSync(checkoutBuild.path, join(cached, 'health-check'));
  const b = installed(['build-target', 'plain'], { cwd: project, env: userEnv({ XDG_CACHE_HOME: xdg }) });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(
    b.stderr.trim(),
    `using cached plain build of targets/gin-health-check (${checkoutBuild.goVersion.replace(/^go version /, '')}): ${join(cached, 'health-check')}`,
  );
  assert.deepEqual(readdirSync(join(xdg, 'leakbench', 'targets')), [basename(cached)]);
  assert.ok(!existsSync(join(prefix, 'node_modules', 'leakbench', '.cache')), 'nothing is built inside node_modules');
  assert.ok(!existsSync(join(project, '.cache')), "nor in the caller's folder");
});

function goBinDirs(): string[] {
  try {
    return [join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin')];
  } catch {
    return [];
  }
}

test('actionlint: the example workflow with the action as a local one (its inputs and outputs checked against action.yml), and a misspelt input is caught', (t) => {
  const actionlint = requireTool(
    t,
    'actionlint',
    'go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12',
    goBinDirs(),
  );
  if (actionlint === undefined) return;
  const repo = join(work, 'lint-repo');
  mkdirSync(join(repo, '.github', 'workflows'), { recursive: true });
  mkdirSync(join(repo, 'leakbench-action'));
  execFileSync('git', ['init', '-q'], { cwd: repo });
  cpSync(join(REPO_ROOT, 'action.yml'), join(repo, 'leakbench-action', 'action.yml'));
  const workflow = readFileSync(EXAMPLE_WORKFLOW, 'utf8');
  const local = workflow.replace(/uses: [\w-]+\/leakbench@\S+/, 'uses: ./leakbench-action');
  assert.notEqual(local, workflow, 'the example uses the action');
  writeFileSync(join(repo, '.github', 'workflows', 'memory.yml'), local);
  const baseline = readFileSync(BASELINE_WORKFLOW, 'utf8');
  const localBaseline = baseline.replace(/uses: [\w-]+\/leakbench@\S+/, 'uses: ./leakbench-action');
  assert.notEqual(localBaseline, baseline, 'the baseline example uses the action');
  writeFileSync(join(repo, '.github', 'workflows', 'memory-baseline.yml'), localBaseline);
  const clean = spawnSync(actionlint, ['-no-color', '-oneline'], { cwd: repo, encoding: 'utf8' });
  assert.equal(clean.status, 0, `actionlint:\n${clean.stdout}${clean.stderr}`);

  writeFileSync(
    join(repo, '.github', 'workflows', 'memory.yml'),
    local.replace('fail-on-builds:', 'fail-on-build:').replace('outputs.rss-change }}', 'outputs.rss-delta }}'),
  );
  const bad = spawnSync(actionlint, ['-no-color', '-oneline'], { cwd: repo, encoding: 'utf8' });
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /input "fail-on-build" is not defined in action "leakbench memory check"/);
  assert.match(bad.stdout, /property "rss-delta" is not defined/);
});

test('docs/ci.md shows the example workflows exactly as examples/go-service has them', () => {
  const guide = readFileSync(join(REPO_ROOT, 'docs', 'ci.md'), 'utf8');
  const section = guide.slice(guide.indexOf('## Use it in your CI'));
  assert.ok(
    section.length > 0 && guide.includes('## Use it in your CI'),
    'docs/ci.md has a "Use it in your CI" section',
  );
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const file of [EXAMPLE_WORKFLOW, BASELINE_WORKFLOW])
    assert.ok(
      blocks.includes(readFileSync(file, 'utf8')),
      `no yaml block in "Use it in your CI" is examples/go-service/.github/workflows/${basename(file)} as it is`,
    );
});

interface Scratch {
  repo: string;
  job: Job;
  summary: string;
}

/** A fresh repository with the example's files only, and a job's environment around it. */
async function scratchRepository(
  runnerTemp: string,
  workflowFile = EXAMPLE_WORKFLOW,
): Promise<Scratch & { port: number; workflow: { jobs: Record<string, { steps: Step[] }> } }> {
  const repo = mkdtempSync(join(work, 'greeter-repo-'));
  const port = await freePort();
  for (const f of ['main.go', 'go.mod', 'go.sum']) cpSync(join(EXAMPLE, f), join(repo, f));
  mkdirSync(join(repo, '.github', 'workflows'), { recursive: true });
  // The only change: a free port instead of 8080, which another process may hold.
  const text = readFileSync(workflowFile, 'utf8').replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
  writeFileSync(join(repo, '.github', 'workflows', basename(workflowFile)), text);
  const summary = join(runnerTemp, 'step-summary.md');
  writeFileSync(summary, '');
  const env = userEnv({
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: repo,
    RUNNER_TEMP: runnerTemp,
    GITHUB_STEP_SUMMARY: summary,
  });
  const job: Job = {
    contexts: { github: { workspace: repo }, runner: { temp: runnerTemp, os: 'Linux' }, env: {}, steps: {} },
    cwd: repo,
    env,
    scratch: runnerTemp,
    ok: true,
  };
  return { repo, job, summary, port, workflow: parseYaml(text) as { jobs: Record<string, { steps: Step[] }> } };
}

const SMALL = '--idle-before 2s --idle-after 4s --requests 20000 --connections 20 --sample-interval 200ms --settle 1s';
const runnerTemp = join(work, 'runner-temp');

test("the example workflow in a scratch repository: builds, the action's steps, a verdict, the job summary and the artifact folder", async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the example service')) return;
  mkdirSync(runnerTemp, { recursive: true });
  const s = await scratchRepository(runnerTemp);
  assert.deepEqual(
    execFileSync('find', ['.', '-type', 'f'], { cwd: s.repo, encoding: 'utf8' }).split('\n').filter(Boolean).sort(),
    ['./.github/workflows/memory.yml', './go.mod', './go.sum', './main.go'],
  );
  const steps = Object.values(s.workflow.jobs)[0]!.steps;
  let action: ReturnType<typeof playCompositeAction> | undefined;
  let verdictsLine = '';
  for (const step of steps) {
    if (step.uses?.startsWith('actions/checkout@') || step.uses?.startsWith('actions/setup-go@')) continue; // the scratch is the checkout; go is on PATH
    if (step.uses !== undefined) {
      assert.match(step.uses, /^[\w-]+\/leakbench@/);
      const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v)]));
      // Installed from the tarball, as a released version would be; sizes cut to keep the test short.
      action = playCompositeAction(ACTION, REPO_ROOT, { ...withValues, package: tarball, args: SMALL }, s.job);
      (s.job.contexts.steps as Record<string, unknown>)[step.id!] = {
        outputs: action.outputs,
        outcome: action.ok ? 'success' : 'failure',
      };
      continue;
    }
    const played = playStep(step, s.job);
    assert.equal(played.status, 0, `${step.name}: ${played.stderr}`);
    if (step.name === 'Verdicts') verdictsLine = played.stdout;
  }
  assert.ok(action, 'the workflow uses the action');
  const [setupNode, install, run, upload] = action.steps;
  assert.equal(setupNode!.with?.['node-version'], '20');
  assert.equal(install!.status, 0, install!.stderr);
  const o = action.outputs;
  assert.equal(run!.status, Number(o['exit-code']), `${run!.stdout}\n${run!.stderr}`);

  // The verdicts: the race build grows outside the Go runtime (golang/go#63276); the gate
  // looks only at the plain build, so the step's exit code follows the plain build's verdict.
  const verdicts = JSON.parse(o.verdicts!) as Record<string, string>;
  assert.deepEqual(Object.keys(verdicts), ['plain', 'race']);
  assert.equal(verdicts.race, 'growth-outside-go-runtime', run!.stdout);
  assert.equal(o.verdict, verdicts.plain);
  const plainGrew = ['growth-outside-go-runtime', 'go-heap-growth', 'goroutine-growth', 'rss-growth'].includes(
    verdicts.plain!,
  );
  assert.equal(o['exit-code'], String(plainGrew ? ExitCode.memoryGrowth : ExitCode.ok));
  assert.equal(action.ok, !plainGrew);
  assert.ok(verdictsLine.includes(`plain build: ${o.verdict} (RSS ${o['rss-change']})`), verdictsLine);

  // The artifact folder: the comparison and each build's whole run directory.
  assert.equal(o['output-dir'], join(s.repo, 'leakbench-reports'));
  assert.equal(o['run-dir'], join(s.repo, 'leakbench-reports', 'compare-soak'));
  for (const f of ['compare.json', 'compare.md', 'index.html', 'rss.png', 'heap-vs-rss.png'])
    assert.ok(existsSync(join(o['run-dir']!, f)), f);
  for (const label of ['plain', 'race']) {
    for (const f of [
      FILES.run,
      FILES.samples,
      FILES.summary,
      FILES.summaryMd,
      FILES.html,
      FILES.memoryPng,
      FILES.junit,
    ])
      assert.ok(existsSync(join(o['run-dir']!, label, f)), `${label}/${f}`);
  }
  const plain = JSON.parse(readFileSync(join(o['run-dir']!, 'plain', FILES.summary), 'utf8')) as SummaryFile;
  const rss = plain.memory.find((m) => m.key === 'vmRss')!;
  assert.equal(o['rss-change-bytes'], String(Math.round(rss.end - rss.start)));
  assert.equal(o['summary-file'], join(o['run-dir']!, 'compare.md'));
  assert.equal(upload!.skipped, false);
  assert.deepEqual(upload!.with, {
    name: 'leakbench-memory',
    path: o['output-dir'],
    'if-no-files-found': 'warn',
    'retention-days': '0',
  });

  // The job summary: the comparison table, each build's section, the closing line.
  const summary = readFileSync(s.summary, 'utf8');
  assert.match(summary, /^### leakbench comparison: soak$/m);
  // Two bursts of 20,000, and up to two more where what they left cannot decide (--max-bursts).
  assert.match(
    summary,
    new RegExp(`^\\| plain \\| completed \\| [468]0,0\\d\\d \\| .* \\| ${verdicts.plain} \\|$`, 'm'),
  );
  assert.match(summary, /^\| race \| completed \| [468]0,0\d\d \| .* \| growth-outside-go-runtime \|$/m);
  assert.match(summary, /^<details><summary>race: growth-outside-go-runtime \(completed\)<\/summary>$/m);
  assert.match(summary, /^\| RSS \(VmRSS\) \| \d+ \|/m);
  assert.doesNotMatch(summary, /!\[|\]\([^)]*\.(png|html)\)/, 'no images or links into the artifact on the job page');
  assert.match(
    summary,
    new RegExp(
      `^\\*\\*leakbench action\\*\\*: exit code ${o['exit-code']}.*verdict \`${o.verdict}\` \\(gate: plain\\)`,
      'm',
    ),
  );
  t.diagnostic(
    `verdicts ${o.verdicts}, plain RSS ${o['rss-change']}; run directories: ${relative(s.repo, o['run-dir']!)}`,
  );
});

test('fail-on growth: the step fails with exit code 4, and the outputs, the summary and the upload still happen', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the example service')) return;
  mkdirSync(runnerTemp, { recursive: true });
  const s = await scratchRepository(runnerTemp);
  execFileSync('go', ['build', '-race', '-o', 'bin/server-race', '.'], { cwd: s.repo });
  const action = playCompositeAction(
    ACTION,
    REPO_ROOT,
    {
      scenario: 'burst',
      command: `./bin/server-race -addr 127.0.0.1:${s.port}`,
      url: `http://127.0.0.1:${s.port}`,
      path: '/healthz',
      'fail-on': 'growth',
      package: tarball,
      // A burst long enough for a fit's worth of samples under load (15,000 requests at 200 ms held 5-9).
      args: '--requests 40000 --connections 20 --sample-interval 100ms --settle 1s',
    },
    s.job,
  );
  const run = action.steps[2]!;
  assert.equal(run.status, ExitCode.memoryGrowth, run.stdout + run.stderr);
  assert.equal(action.ok, false);
  assert.equal(action.outputs['exit-code'], '4');
  assert.equal(action.outputs.verdict, 'growth-outside-go-runtime');
  assert.equal(action.outputs['verdict-class'], 'growth');
  assert.match(action.outputs['rss-change']!, /^\+\d+(\.\d)? MiB$/);
  assert.equal(action.outputs['run-dir'], join(s.repo, 'leakbench-reports', 'burst-server'));
  assert.match(readFileSync(s.summary, 'utf8'), /^### leakbench: burst against .*\(completed\)$/m);
  assert.equal(action.steps[3]!.skipped, false, 'the upload runs after a failed step (!cancelled())');
});

/** The pull request the baseline example gates: the scratch repository's first commit is its base, `change` its head. */
function pullRequest(s: Scratch, change: (repo: string) => void): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=leakbench', '-c', 'user.email=leakbench@example.com', ...args], {
      cwd: s.repo,
      encoding: 'utf8',
    }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  const base = git('rev-parse', 'HEAD');
  change(s.repo);
  git('add', '-A');
  git('commit', '-qm', 'head');
  (s.job.contexts.github as Record<string, Json>).event = { pull_request: { base: { sha: base } } };
}

/** The baseline example's steps, the action from the tarball at test sizes; its played action and last step. */
function playBaselineWorkflow(s: Scratch & { workflow: { jobs: Record<string, { steps: Step[] }> } }) {
  let action: ReturnType<typeof playCompositeAction> | undefined;
  let last = '';
  for (const step of Object.values(s.workflow.jobs)[0]!.steps) {
    if (step.uses?.startsWith('actions/checkout@') || step.uses?.startsWith('actions/setup-go@')) continue;
    if (step.uses !== undefined) {
      const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v)]));
      action = playCompositeAction(ACTION, REPO_ROOT, { ...withValues, package: tarball, args: SMALL }, s.job);
      (s.job.contexts.steps as Record<string, unknown>)[step.id!] = {
        outputs: action.outputs,
        outcome: action.ok ? 'success' : 'failure',
      };
      continue;
    }
    const played = playStep(step, s.job);
    assert.equal(played.status, 0, `${step.name}: ${played.stderr}`);
    last = played.stdout;
  }
  assert.ok(action, 'the workflow uses the action');
  return { action, last };
}

test('the baseline example: a pull request that changes nothing the server does passes, its -race builds growing alike (exit 0)', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ and gcc build the example service with -race')) return;
  const s = await scratchRepository(mkdtempSync(join(work, 'runner-temp-')), BASELINE_WORKFLOW);
  pullRequest(s, (repo) => writeFileSync(join(repo, 'NOTES.md'), 'a change that is not code\n'));
  const { action, last } = playBaselineWorkflow(s);
  const o = action.outputs;
  const run = action.steps[2]!;
  assert.equal(run.status, ExitCode.ok, `${run.stdout}\n${run.stderr}`);
  assert.equal(o.decision, 'alike', o.difference);
  // Both -race builds retain outside the Go runtime: that figure, the one that retains most, is named.
  assert.match(
    o.difference!,
    /^head against base, RSS outside the Go runtime: [-+][\d.]+ (B|KiB|MiB) per 1,000 requests \(95% CI .+ to .+\)$/,
  );
  assert.ok(Number.isFinite(Number(o['difference-per-1k'])));
  const verdicts = JSON.parse(o.verdicts!) as Record<string, string>;
  assert.deepEqual(Object.keys(verdicts), ['base', 'head']);
  assert.match(last, /^head against base: alike$/m);
  const summary = readFileSync(s.summary, 'utf8');
  assert.match(summary, /^#### Baseline gate: against base$/m);
  assert.match(summary, /^\*\*head: alike\*\*/m);
  assert.match(summary, /\(baseline: base, alike\)/);
  t.diagnostic(`verdicts ${o.verdicts}; ${o.difference}`);
});

test('the baseline example: a pull request that keeps 1 KiB per request fails against its base (exit 4), with the decision and the difference', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ and gcc build the example service with -race')) return;
  const s = await scratchRepository(mkdtempSync(join(work, 'runner-temp-')), BASELINE_WORKFLOW);
  pullRequest(s, (repo) => {
    const main = readFileSync(join(repo, 'main.go'), 'utf8');
    const leaky = main
      .replace('func main() {', 'var kept [][]byte\n\nfunc main() {')
      .replace('w.Write([]byte("ok"))', 'kept = append(kept, make([]byte, 1024))\n\t\tw.Write([]byte("ok"))');
    assert.notEqual(leaky, main);
    writeFileSync(join(repo, 'main.go'), leaky);
  });
  const { action, last } = playBaselineWorkflow(s);
  const o = action.outputs;
  const run = action.steps[2]!;
  assert.equal(run.status, ExitCode.memoryGrowth, `${run.stdout}\n${run.stderr}`);
  assert.equal(action.ok, false);
  assert.equal(o['exit-code'], '4');
  assert.equal(o.decision, 'regression');
  assert.match(o.difference!, /^head against base, Go live heap[^:]*: \+[\d.]+ (KiB|MiB) per 1,000 requests/);
  assert.ok(Number(o['difference-per-1k']) > 512 * 1024, o['difference-per-1k']);
  assert.match(last, /^head against base: regression$/m);
  assert.match(readFileSync(s.summary, 'utf8'), /^\*\*head: regression\*\* — Go live heap/m);
  assert.equal(action.steps[3]!.skipped, false, 'the upload runs after a failed step (!cancelled())');
  t.diagnostic(o.difference!);
});

test("bad inputs: exit code 2 with one line naming the input, nothing uploaded (leakbench from the action's own copy)", async () => {
  mkdirSync(runnerTemp, { recursive: true });
  const s = await scratchRepository(runnerTemp);
  // No package input: the action's own checkout, whose dist/ npm pack has just built.
  const action = playCompositeAction(
    ACTION,
    REPO_ROOT,
    { compare: 'plain: ./bin/server', url: 'http://127.0.0.1:9' },
    s.job,
  );
  assert.equal(action.steps[1]!.outputs.root, REPO_ROOT, action.steps[1]!.stderr);
  const run = action.steps[2]!;
  assert.equal(run.status, ExitCode.usage);
  assert.match(run.stdout, /^::error::leakbench action: input compare: name two or more builds to compare, got 1$/m);
  assert.equal(action.outputs['exit-code'], '2');
  assert.equal(action.outputs.verdict, 'none');
  assert.equal(action.outputs['verdict-class'], 'none');
  assert.equal(action.steps[3]!.skipped, true);
  assert.throws(
    () => playCompositeAction(ACTION, REPO_ROOT, { scenarios: 'burst' }, s.job),
    /input scenarios is not defined in action\.yml/,
  );
});

test("a cancelled job: SIGTERM to the action's step reaches leakbench once, which stops the server and still writes the report (exit 143)", async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the example service')) return;
  const repo = mkdtempSync(join(work, 'cancel-'));
  const port = await freePort();
  const outputFile = join(repo, 'github-output');
  writeFileSync(outputFile, '');
  const child = spawn(process.execPath, [join(prefix, 'node_modules', 'leakbench', 'dist', 'github-action.js')], {
    cwd: repo,
    env: userEnv({
      GITHUB_OUTPUT: outputFile,
      INPUT_SCENARIO: 'burst',
      INPUT_COMMAND: `${greeter} -addr 127.0.0.1:${port}`,
      INPUT_URL: `http://127.0.0.1:${port}`,
      INPUT_PATH: '/healthz',
      INPUT_ARGS: '--requests 2000000 --sample-interval 200ms',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const code = await new Promise<number | null>((done) => {
    let sent = false;
    // Once the burst is under way, as the runner would on cancel.
    const watch = () => {
      if (!sent && (stdout + stderr).includes('phase burst:')) {
        sent = true;
        setTimeout(() => child.kill('SIGTERM'), 500);
      }
    };
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), watch()));
    child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), watch()));
    // Never a burst that runs on: SIGKILL after two minutes (the test then fails on the code).
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (c) => {
      clearTimeout(limit);
      done(c);
    });
  });
  assert.equal(code, 143, stdout + stderr);
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  assert.equal(outputs['exit-code'], '143');
  const run = JSON.parse(readFileSync(join(outputs['run-dir']!, FILES.run), 'utf8')) as RunFile;
  assert.equal(run.status, 'interrupted');
  assert.match(run.endReason ?? '', /SIGTERM/);
  assert.ok(existsSync(join(outputs['run-dir']!, FILES.summary)), 'report written');
  assert.doesNotMatch(stderr, /again: stopping now/, 'leakbench got the signal twice');
  assert.ok(run.target.pid !== undefined && !processAlive(run.target.pid), 'the server outlived the cancelled step');
});
