/**
 * The baseline gate from the CLI against real servers: `compare --baseline base --fail-on growth`
 * passes two identical -race builds of the bundled reproducer (both grow, golang/go#63276, alike)
 * and fails a Go server that keeps 1 KiB per request against the same server keeping nothing
 * (test/fixtures/go-servers). Short soaks of two bursts; the Action's play of the same gate is
 * in package-and-action.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors.ts';
import type { ComparisonFile } from '../../src/report/compare.ts';
import { ensureBundledBinary } from '../../src/target/bundled-build.ts';
import { freePort } from '../../src/target/free-port.ts';
import { runCli } from '../helpers/cli.ts';
import { ensureFixtureBinary } from '../helpers/go-fixture.ts';
import { findTool, requireTool } from '../helpers/tools.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-baseline-'));
const SMALL = [
  '--requests',
  '20000',
  '--connections',
  '20',
  '--bursts',
  '2',
  '--idle-before',
  '2s',
  '--idle-after',
  '4s',
  '--sample-interval',
  '200ms',
  '--settle',
  '1s',
  '--progress',
  'off',
];
let race = '';
let fixture = '';

after(() => rmSync(out, { recursive: true, force: true }));

before(async () => {
  if (!findTool('go')) return;
  race = (await ensureBundledBinary('race', () => {})).path;
  fixture = await ensureFixtureBinary();
});

async function gate(
  name: string,
  base: (port: number) => string,
  head: (port: number) => string,
  extra: string[] = SMALL,
) {
  const port = await freePort();
  const r = await runCli(
    [
      'compare',
      'soak',
      '--cmd',
      base(port),
      '--label',
      'base',
      '--cmd',
      head(port),
      '--label',
      'head',
      '--url',
      `http://127.0.0.1:${port}`,
      '--baseline',
      'base',
      '--fail-on',
      'growth',
      ...extra,
      '--out',
      out,
      '--name',
      name,
    ],
    { timeoutMs: 240_000 },
  );
  const dir = join(out, name);
  const file = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as ComparisonFile;
  return { r, file, md: readFileSync(join(dir, 'compare.md'), 'utf8') };
}

test('two identical -race builds of the bundled reproducer: both grow outside the Go runtime, alike; exit 0', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ and gcc build the race build')) return;
  const { r, file, md } = await gate(
    'race-twice',
    (port) => `${race} -addr 127.0.0.1:${port}`,
    (port) => `${race} -addr 127.0.0.1:${port}`,
  );
  const head = file.gate?.builds[0];
  assert.equal(r.code, ExitCode.ok, `${head?.words.join(' ')}\n${r.stderr}`);
  assert.equal(file.schema, 'leakbench.compare/2');
  assert.equal(file.baseline, 'base');
  assert.equal(file.gate!.decision, 'alike');
  // Both grow (the verdict a -race build gets alone), so --fail-on growth without --baseline would fail it.
  assert.ok(
    file.runs.every((x) => x.verdict !== 'stable'),
    file.runs.map((x) => x.verdict).join(', '),
  );
  const outside = head!.figures.find((f) => f.role === 'outside')!;
  assert.ok(outside.base.per1k > 0 && outside.head.per1k > 0, 'both retain outside the runtime');
  assert.notEqual(outside.decision, 'more');
  assert.match(md, /^## Baseline gate: against base$/m);
  assert.match(md, /^\*\*head: alike\*\*/m);
  assert.match(
    md,
    /^\| RSS outside the Go runtime \| \+[\d.]+ KiB \| \+[\d.]+ KiB \| [-+][\d.]+ (B|KiB) \(.* to .*\) \| [\d.]+ (KiB|MiB) \| alike \|$/m,
  );
  assert.equal(file.warnings, undefined, 'the same build answers alike');
  assert.match(r.stdout, /baseline gate, head against base: alike/);
  t.diagnostic(`outside the runtime per 1,000 requests: base ${outside.base.per1k} B, head ${outside.head.per1k} B`);
});

test('a Go server keeping 1 KiB per request against the same server keeping nothing: regression on the live heap; exit 4', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the fixture server')) return;
  // The heap profile served, so the pack reads every rest after a collection (pprof ?gc=1).
  const server = (mode: string) => (port: number) =>
    `${fixture} -mode ${mode} -leak-kib 1 -garbage-kib 4 -pprof-heap -addr 127.0.0.1:${port}`;
  const { r, file, md } = await gate('heap-leak', server('flat'), server('heap-leak'));
  assert.equal(r.code, ExitCode.memoryGrowth, r.stderr);
  assert.match(r.stderr, /failing \(exit 4\): head retains more than the baseline base/);
  assert.equal(file.gate!.decision, 'regression');
  const live = file.gate!.builds[0]!.figures.find((f) => f.role === 'heap')!;
  assert.equal(live.decision, 'more');
  // 1 KiB a request is 1,000 KiB per 1,000 requests by construction.
  assert.ok(
    Math.abs(live.difference.per1k - 1000 * 1024) <= 0.25 * 1000 * 1024,
    `difference ${live.difference.per1k} B per 1,000 requests`,
  );
  assert.ok(live.difference.low > 0);
  assert.match(
    md,
    /^\*\*head: regression\*\* — Go live heap .* retains [\d.]+ (KiB|MiB) more per 1,000 requests than the baseline/m,
  );
  assert.equal(file.warnings, undefined, 'both modes answer /health_check alike');
});

test('builds that answer differently (404 and small against 200 and large): warnings in compare.md and on the console', async (t) => {
  if (!requireTool(t, 'go', 'Go 1.20+ builds the fixture server')) return;
  // The same server; only the head serves its heap profile, the path the load asks for.
  const server = (flags: string) => (port: number) => `${fixture} -mode flat ${flags} -addr 127.0.0.1:${port}`;
  const small = ['--path', '/debug/pprof/heap', ...SMALL.map((a) => (a === '20000' ? '500' : a))];
  const { r, file, md } = await gate('answers', server(''), server('-pprof-heap'), small);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal(file.warnings?.length, 2, (file.warnings ?? []).join('\n'));
  assert.match(
    file.warnings![0]!,
    /^head answered with other status codes than base \(head: 200 × [\d,]+ of [\d,]+; base: 404 × /,
  );
  assert.match(
    file.warnings![1]!,
    /^head's responses differ in size from base's \(median body of the probes: head \d+ B, base \d+ B\)/,
  );
  assert.match(md, /^## Warnings\n\n- head answered with other status codes/m);
  assert.match(r.stdout, /^ {2}warning: head answered with other status codes/m);
});
