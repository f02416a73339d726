/**
 * The GitHub Actions workflow users copy: checked by actionlint (a real linter for workflow
 * files, installed by .ci/run with `go install`), its commands checked by the pack's own flag
 * parser, and the pack's $GITHUB_STEP_SUMMARY output checked on a real run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from '../../src/options/run-options.ts';
import { FILES } from '../../src/rundir/schema.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { runCli } from '../helpers/cli.ts';
import { requireTool } from '../helpers/tools.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const WORKFLOWS = join(REPO_ROOT, '.github', 'workflows');
const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(WORKFLOWS, f));

/** Where `go install` puts binaries: $GOBIN, else $GOPATH/bin. */
function goBinDirs(): string[] {
  const dirs = [process.env.GOBIN, process.env.GOPATH && join(process.env.GOPATH, 'bin'), join(homedir(), 'go', 'bin')];
  try {
    dirs.push(join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin'));
  } catch {
    // no go: the PATH and the defaults above are all there is
  }
  return dirs.filter((d): d is string => typeof d === 'string' && d !== '');
}

test('actionlint finds nothing wrong with the workflows (and does find a planted mistake)', (t) => {
  const actionlint = requireTool(
    t,
    'actionlint',
    'go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12',
    goBinDirs(),
  );
  if (actionlint === undefined) return;
  assert.ok(workflowFiles.length >= 1);
  const clean = spawnSync(actionlint, ['-no-color', '-oneline', ...workflowFiles], {
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });
  assert.equal(clean.status, 0, `actionlint:\n${clean.stdout}${clean.stderr}`);
  assert.equal(clean.stdout.trim(), '');

  // A linter that passes everything proves nothing: the same file with a misspelt input fails.
  const broken = readFileSync(workflowFiles[0]!, 'utf8').replace('retention-days:', 'retension-days:');
  assert.notEqual(broken, readFileSync(workflowFiles[0]!, 'utf8'));
  const bad = spawnSync(actionlint, ['-no-color', '-oneline', '-stdin-filename', 'broken.yml', '-'], {
    input: broken,
    encoding: 'utf8',
    cwd: REPO_ROOT,
  });
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /broken\.yml:\d+:\d+: input "retension-days" is not defined/);
});

/** Shell words of a one-line command: enough for the workflow's own lines (quotes, no escapes). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

test('every npm command in the workflow exists, and every scenario run parses with --preset ci', () => {
  const scripts = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  let runs = 0;
  for (const file of workflowFiles) {
    // `run:` lines only; the header comments show commands too, for a user's own server.
    const commands = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => /^\s*(?:-\s+)?run:\s+(.*)$/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    for (const command of commands) {
      const argv = words(command.replace(/"\$OUT"/g, 'reports/ci'));
      if (argv[0] !== 'npm') continue;
      if (argv[1] === 'ci') continue;
      assert.equal(argv[1], 'run', command);
      const script = argv[2]!;
      assert.ok(scripts[script], `${file}: npm run ${script} is not a script in package.json`);
      const m = /^tsx scripts\/leakbench\.ts run (\w+)$/.exec(scripts[script]!);
      if (!m) continue;
      const rest = argv.slice(3);
      assert.equal(rest[0], '--', `${command}: flags go after --`);
      const parsed = parseRunArgs([m[1]!, ...rest.slice(1)]);
      assert.ok(!parsed.help && parsed.options.preset === 'ci', `${command}: not at CI sizes (--preset ci)`);
      runs++;
    }
  }
  assert.ok(runs >= 3, `only ${runs} scenario runs in the workflows`);
});

test('a run under GitHub Actions appends its tables to $GITHUB_STEP_SUMMARY', async () => {
  const out = mkdtempSync(join(tmpdir(), 'leakbench-gh-'));
  const stepSummary = join(out, 'step-summary.md');
  writeFileSync(stepSummary, '');
  const r = await runCli(
    [
      'run',
      'burst',
      '--preset',
      'ci',
      '--variant',
      'plain',
      '--requests',
      '5000',
      '--connections',
      '10',
      '--settle',
      '0s',
      '--out',
      out,
      '--name',
      'gh',
    ],
    {
      env: { ...process.env, GITHUB_STEP_SUMMARY: stepSummary, GITHUB_ACTIONS: 'true' },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(stepSummary, 'utf8');
  const summary = JSON.parse(readFileSync(join(out, 'gh', FILES.summary), 'utf8')) as SummaryFile;
  assert.match(text, /^### leakbench: burst against plain \(completed\)$/m);
  assert.ok(text.includes(`**${summary.headline.slice(0, 30)}`), 'headline');
  assert.match(text, /^\| burst \| burst \| 5,000 \| 5,000 \| 5,000 \| 0 \| 0 \| 0 \|/m);
  assert.match(text, /^\| RSS \(VmRSS\) \| \d+ \|/m);
  if (summary.diagnosis) assert.match(text, new RegExp(`\\*\\*verdict: ${summary.diagnosis.verdict.kind}\\*\\*`));
  // The preset's 500 ms sample interval, with --requests given explicitly winning over its 100k.
  const run = JSON.parse(readFileSync(join(out, 'gh', FILES.run), 'utf8')) as {
    options: { sampleIntervalMs: number; requests: number; preset: string };
  };
  assert.deepEqual([run.options.preset, run.options.sampleIntervalMs, run.options.requests], ['ci', 500, 5000]);
});
