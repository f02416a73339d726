/**
 * Secrets in headers: planted tokens (from the environment, and as literals of headers known
 * or marked secret) reach the server, and appear in no file of the run directory and nowhere
 * on the console.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/target/free-port.ts';
import { runCli } from '../helpers/cli.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * `run <scenario>` against the auth server on a free port, POSTing /api/orders with the token
 * from API_TOKEN and `extra` flags; returns the console and the run directory.
 */
async function runAgainstAuthServer(scenario: string, name: string, extra: string[], env: Record<string, string>) {
  const out = mkdtempSync(join(tmpdir(), `leakbench-${name}-`));
  const port = await freePort();
  const res = await runCli(
    [
      'run',
      scenario,
      '--cmd',
      `${process.execPath} test/fixtures/requests/auth-server.mjs ${port}`,
      '--url',
      `http://127.0.0.1:${port}`,
      '-X',
      'POST',
      '--path',
      '/api/orders',
      '--expect-status',
      '201',
      '-H',
      'Content-Type: application/json',
      '-H',
      'Authorization: Bearer {env:API_TOKEN}',
      ...extra,
      '--settle',
      '0s',
      '--sample-interval',
      '500ms',
      '--out',
      out,
      '--name',
      name,
      '--progress',
      'off',
    ],
    { env: { ...process.env, ...env }, timeoutMs: 90_000 },
  );
  assert.equal(res.code, 0, res.stderr);
  return { res, dir: join(out, name) };
}

test('planted secrets reach the server and no file of the run directory, nor the console', async () => {
  const secrets = {
    API_TOKEN: 'tok-env-8c1e77aa91',
    LEAKBENCH_PLANTED_KEY: 'key-literal-3b9f0d2e',
    LEAKBENCH_PLANTED_COOKIE: 'session=cookie-literal-71d4',
    LEAKBENCH_PLANTED_TENANT: 'tenant-literal-c0ffee42',
  };
  const { res, dir } = await runAgainstAuthServer(
    'soak',
    'secrets',
    [
      '--body',
      '{"sku":"A-1"}',
      '-H',
      `X-Api-Key: ${secrets.LEAKBENCH_PLANTED_KEY}`,
      '-H',
      `Cookie: ${secrets.LEAKBENCH_PLANTED_COOKIE}`,
      '-H',
      `X-Tenant-Secret: ${secrets.LEAKBENCH_PLANTED_TENANT}`,
      '--secret-header',
      'X-Tenant-Secret',
      '--engine',
      'net',
      '--requests',
      '300',
      '--connections',
      '3',
      '--idle-before',
      '1s',
      '--idle-after',
      '1s',
      '--rate',
      '5',
      // One burst: the phases this test counts are idle, burst, idle.
      '--bursts',
      '1',
    ],
    secrets,
  );
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
    phases: { result: { completed: number; unexpectedStatus?: number; statusCodes: Record<string, number> } }[];
    options: { mix: { requests: { headers: [string, string][] }[] } };
  };
  // The secrets did their job: every POST was let in (401 otherwise).
  assert.deepEqual(
    run.phases.map((p) => p.result.statusCodes),
    [{ '201': 5 }, { '201': 300 }, { '201': 5 }],
  );
  assert.ok(run.phases.every((p) => p.result.unexpectedStatus === 0));
  // What was written instead of them: the reference, or [redacted].
  assert.deepEqual(run.options.mix.requests[0]!.headers, [
    ['Content-Type', 'application/json'],
    ['Authorization', '[redacted] {env:API_TOKEN}'],
    ['X-Api-Key', '[redacted]'],
    ['Cookie', '[redacted]'],
    ['X-Tenant-Secret', '[redacted]'],
  ]);
  const files = filesUnder(dir);
  assert.ok(
    files.some((f) => f.endsWith('index.html')) &&
      files.some((f) => f.endsWith('events.ndjson')) &&
      files.some((f) => f.endsWith('probes.ndjson')),
    'the whole run directory was written',
  );
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const [name, value] of Object.entries(secrets)) {
      const bare = value.replace(/^session=/, '');
      assert.equal(bytes.indexOf(bare), -1, `${name} found in ${file}`);
    }
  }
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(!res.stdout.includes(value) && !res.stderr.includes(value), `${name} on the console`);
  }
});

test('a steady run: the token from the environment reaches the server and no file; summary.json and summary.md report how the schedule was kept', async () => {
  const token = 'tok-steady-5d0a3e19c4';
  const { res, dir } = await runAgainstAuthServer(
    'steady',
    'steady',
    ['--body', '@test/fixtures/requests/order.json', '--rate', '50', '--duration', '2s', '--connections', '5'],
    { API_TOKEN: token },
  );
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    load: {
      statusCodes: Record<string, number>;
      steady?: { scheduled: number; notSent: number; late: number; sendLateness: { p99: number } };
    }[];
  };
  assert.deepEqual(summary.load[0]!.statusCodes, { '201': 100 }, 'every POST let in: the token arrived');
  const st = summary.load[0]!.steady!;
  assert.equal(st.scheduled, 100);
  assert.equal(st.notSent, 0);
  assert.ok(Number.isFinite(st.sendLateness.p99));
  // summary.md's schedule row says the same numbers.
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(md, /\| phase \| due \| not sent \| sent late \| send lateness p50 \/ p99 \/ max \|/);
  assert.match(md, new RegExp(`\\| steady \\| 100 \\| 0 \\| ${st.late} \\(over 10\\.0 ms\\) \\| `));
  for (const file of filesUnder(dir)) assert.equal(readFileSync(file).indexOf(token), -1, `the token found in ${file}`);
  assert.ok(!res.stdout.includes(token) && !res.stderr.includes(token), 'the token on the console');
});
