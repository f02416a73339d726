/**
 * Knowing the target: the Go build info parsed in TypeScript must say what `go version -m`
 * says about the same binaries (both bundled builds are -ldflags="-s -w", one -race), and a
 * user's -race binary, started with --cmd or attached with --pid, is named a -race build from
 * its build info, with the Go and gin versions in the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FILES, type RunFile } from '../../src/rundir/schema.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { parseGoBuildInfo, parseModInfo } from '../../src/target/go-buildinfo.ts';
import { identifyProcess } from '../../src/target/identify.ts';
import { processAlive, runCli } from '../helpers/cli.ts';
import { findTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'leakbench-identity-'));
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;

for (const variant of ['plain', 'race'] as const) {
  test(`build info of the bundled ${variant} build (-s -w) agrees with go version -m`, async () => {
    const bin = (await ensureBundledBinary(variant, () => {})).path;
    const parsed = parseGoBuildInfo(readFileSync(bin));
    assert.ok(!('error' in parsed), 'error' in parsed ? parsed.error : '');
    const { stdout } = await run('go', ['version', '-m', bin]);
    const [first, ...rest] = stdout.split('\n');
    const expected = parseModInfo(rest.map((l) => l.replace(/^\t/, '')).join('\n'));
    assert.equal(parsed.goVersion, first!.split(': ')[1]);
    assert.deepEqual(parsed.settings, expected.settings);
    assert.deepEqual(
      parsed.deps.map((d) => [d.path, d.version]),
      expected.deps.map((d) => [d.path, d.version]),
    );
    assert.equal(parsed.path, expected.path);
    assert.ok(
      parsed.settings.some((s) => s.key === '-ldflags' && s.value === '-s -w'),
      JSON.stringify(parsed.settings),
    );
    assert.equal(parsed.settings.find((s) => s.key === '-race')?.value, variant === 'race' ? 'true' : undefined);
    assert.equal(parsed.deps.find((d) => d.path === 'github.com/gin-gonic/gin')?.version, 'v1.9.1');
  });
}

test('a file that is not a Go binary has no build info', () => {
  const r = parseGoBuildInfo(readFileSync(process.execPath));
  assert.ok('error' in r);
});

test('identifyProcess: Node.js, Python and a shell are told apart from /proc', async (t) => {
  const node = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  const children = [node];
  try {
    await new Promise((r) => setTimeout(r, 300));
    const id = identifyProcess(node.pid!);
    assert.equal(id.runtime, 'node', JSON.stringify(id));
    assert.equal(id.executable, process.execPath);
    assert.deepEqual(id.cmdline, [process.execPath, '-e', 'setTimeout(() => {}, 20000)']);
    assert.equal(id.goBuild, undefined);
    const python = findTool('python3');
    if (!python) t.diagnostic('python3 not found: its identification is not checked');
    else {
      const py = spawn(python, ['-c', 'import time; time.sleep(20)'], { stdio: 'ignore' });
      children.push(py);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(identifyProcess(py.pid!).runtime, 'python');
    }
    const sh = spawn('/bin/sh', ['-c', 'sleep 20'], { stdio: 'ignore' });
    children.push(sh);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(identifyProcess(sh.pid!).runtime, 'other');
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
});

test("a user's -race binary started with --cmd is named a -race build from its build info", async () => {
  const bin = (await ensureBundledBinary('race', () => {})).path;
  const port = await freePort();
  const r = await runCli([
    'run',
    'soak',
    '--cmd',
    `${bin} -addr 127.0.0.1:${port}`,
    '--url',
    `http://127.0.0.1:${port}`,
    '--requests',
    '40000',
    '--connections',
    '20',
    '--idle-before',
    '2s',
    '--idle-after',
    '3s',
    '--rate',
    '5',
    '--sample-interval',
    '200ms',
    '--settle',
    '0s',
    '--out',
    out,
    '--name',
    'cmd-race',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const runFile = readJson<RunFile>(join(out, 'cmd-race', FILES.run));
  const id = runFile.target.identity!;
  assert.equal(id.runtime, 'go');
  assert.equal(id.executable, bin);
  assert.equal(id.goBuild?.settings.find((s) => s.key === '-race')?.value, 'true');
  const summary = readJson<SummaryFile>(join(out, 'cmd-race', FILES.summary));
  const v = summary.diagnosis!.verdict;
  assert.equal(v.kind, 'growth-outside-go-runtime', v.evidence.join('\n'));
  assert.match(v.summary, /build -race=true/);
  assert.match(v.summary, /golang\/go#63276/);
  assert.match(v.summary, /go1\.\d+.*github\.com\/gin-gonic\/gin v1\.9\.1/);
  const md = readFileSync(join(out, 'cmd-race', FILES.summaryMd), 'utf8');
  assert.match(md, /\| go build \| go1\.[\d.]+, build -race=true, CGO_ENABLED=1, -ldflags="-s -w"/);
  assert.match(md, /github\.com\/gin-gonic\/gin v1\.9\.1/);
});

test('attached with --pid: the build info is read from the running process; with --url and --metrics-url only, the report says what is unknown', async () => {
  const bin = (await ensureBundledBinary('race', () => {})).path;
  const port = await freePort();
  const server = spawn(bin, ['-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const base = [
      'run',
      'burst',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--requests',
      '2000',
      '--connections',
      '5',
      '--settle',
      '0s',
      '--out',
      out,
    ];
    const r = await runCli([...base, '--pid', String(server.pid), '--name', 'attach-race']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(processAlive(server.pid!));
    const id = readJson<RunFile>(join(out, 'attach-race', FILES.run)).target.identity!;
    assert.equal(id.pid, server.pid);
    assert.equal(id.goBuild?.settings.find((s) => s.key === '-race')?.value, 'true');
    assert.match(readFileSync(join(out, 'attach-race', FILES.summaryMd), 'utf8'), /build -race=true/);

    const u = await runCli([...base, '--metrics-url', `http://127.0.0.1:${port}/metrics`, '--name', 'attach-url']);
    assert.equal(u.code, 0, u.stderr);
    const md = readFileSync(join(out, 'attach-url', FILES.summaryMd), 'utf8');
    assert.match(
      md,
      /\| runtime \| Go \(from go.memstats.* in its \/metrics\); executable and build unknown: no process was read/,
    );
    assert.doesNotMatch(md, /build -race=true/);
  } finally {
    server.kill('SIGKILL');
  }
});
