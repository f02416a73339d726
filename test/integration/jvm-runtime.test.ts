/**
 * Verdicts against a real JVM server (the JDK's com.sun.net.httpserver with simpleclient_hotspot
 * or Micrometer on /metrics), built with Maven by the test and started through --cmd: a Java
 * heap leak, a direct-buffer leak, and a server that keeps nothing. Each verdict is asserted
 * with its evidence in the JVM's words, and the target is identified as a JVM.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILES } from '../../src/rundir/schema.ts';
import { ensureJvmFixture } from '../helpers/jvm-fixture.ts';
import { GO_WORDS, soakServer } from '../helpers/soak.ts';

const out = mkdtempSync(join(tmpdir(), 'leakbench-jvm-'));
let java: Promise<string> | undefined;
/**
 * A heap cap as a container would set (without one the JVM commits 1/64 of the machine and G1
 * grows its young generation into it, and the garbage it touches makes most of RSS growth);
 * direct memory defaults to -Xmx, so it gets room of its own for the direct-buffer leak.
 */
const JVM_OPTIONS = '-Xmx256m -XX:MaxDirectMemorySize=1g';

/**
 * The fixture's start command, built once; undefined (the test skipped) where no JDK or Maven is
 * installed, except under CI, where .ci/run installs both and their absence is a failure.
 */
async function jvm(t: TestContext): Promise<string | undefined> {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    execFileSync('mvn', ['-v'], { stdio: 'ignore' });
  } catch {
    const message = 'no java or mvn on PATH (.ci/run installs openjdk-17-jdk-headless and maven)';
    if (process.env.CI) assert.fail(message);
    t.skip(message);
    return undefined;
  }
  java ??= ensureJvmFixture(JVM_OPTIONS);
  return java;
}

/** A small soak against the JVM fixture (see test/helpers/soak.ts), its figures read from /metrics. */
function soak(java: string, name: string, args: string, requests: number, extra: string[] = []) {
  return soakServer({
    out,
    name,
    command: (port) => `${java} --port ${port} ${args}`,
    requests,
    metricsPath: '/metrics',
    extra,
  });
}

function assertJvmWords(s: Awaited<ReturnType<typeof soak>>): void {
  assert.equal(s.run.target.identity?.runtime, 'jvm', JSON.stringify(s.run.target.identity));
  assert.match(s.run.target.identity?.runtimeEvidence ?? '', /^maps \S*\/libjvm\.so$|^executable java$/);
  assert.match(s.run.target.identity?.cmdline?.join(' ') ?? '', /leakbench\.JvmServer/);
  assert.equal(s.summary.diagnosis?.runtime?.name, 'jvm');
  assert.doesNotMatch(s.text, GO_WORDS, 'a JVM target is described without Go figures');
  const md = readFileSync(join(s.dir, FILES.summaryMd), 'utf8');
  assert.doesNotMatch(md, /\| Go |go_memstats|Go heap arena/);
  assert.match(md, /\| Java heap used \|/);
  assert.match(md, /\| direct buffers \|/);
}

test('JVM (simpleclient_hotspot), byte arrays kept per request: Java heap growth', async (t) => {
  const java = await jvm(t);
  if (!java) return;
  const s = await soak(java, 'jvm-heap-leak', '--mode heap-leak --client hotspot --leak-kib 8', 20_000, [
    '--fail-on',
    'growth',
  ]);
  assert.equal(s.r.code, 4, s.text);
  assert.equal(s.verdict.kind, 'heap-growth', s.text);
  assert.match(s.verdict.summary, /RSS grows with the Java heap \(Java heap used carries \d+% of the RSS growth\)/);
  assertJvmWords(s);
});

test('JVM (Micrometer), direct ByteBuffers kept per request: growth outside the Java heap, in direct buffers', async (t) => {
  const java = await jvm(t);
  if (!java) return;
  const s = await soak(java, 'jvm-direct-leak', '--mode direct-leak --client micrometer --leak-kib 16', 20_000);
  assert.equal(s.r.code, 0, s.text);
  assert.equal(s.verdict.kind, 'growth-outside-runtime', s.text);
  assert.match(
    s.verdict.summary,
    /RSS grows outside the Java heap, in direct buffers \(direct buffers carry \d+% of the RSS growth\)/,
  );
  assert.match(s.text, /direct buffers \+(1\d\d|2\d\d|3\d\d)\.\d MiB/, 'direct buffers rose by about the 312 MiB kept');
  assertJvmWords(s);
});

test('JVM that starts a thread per 10 requests and never ends it: JVM thread growth, drawn as growth everywhere, with jcmd Thread.print', async (t) => {
  const java = await jvm(t);
  if (!java) return;
  const s = await soak(java, 'jvm-thread-leak', '--mode thread-leak --client hotspot', 20_000, ['--fail-on', 'growth']);
  assert.equal(s.verdict.kind, 'thread-growth', s.text);
  assert.equal(s.r.code, 4, s.text);
  assert.ok(
    s.verdict.suggestions.some((x) => x.includes('jcmd PID Thread.print')),
    s.verdict.suggestions.join('\n'),
  );
  assert.ok(!s.verdict.suggestions.some((x) => /py-spy|pprof/.test(x)), s.verdict.suggestions.join('\n'));
  const html = readFileSync(join(s.dir, 'index.html'), 'utf8');
  assert.match(html, /<section class="verdict verdict-growth">/);
  assert.match(html, /<h2>Verdict: JVM thread growth<\/h2>/);
  const md = readFileSync(join(s.dir, FILES.summaryMd), 'utf8');
  assert.match(md, /^# leakbench: soak against java leakbench\.JvmServer$/m, 'named by what it is, not cmd');
  assert.match(md, /^Kind: thread-growth \(growth\); --fail-on growth fails the run\.$/m);
  assert.match(
    readFileSync(join(s.dir, 'junit.xml'), 'utf8'),
    /name="verdict: thread-growth"[^>]*>\s*<failure type="thread-growth"/,
  );
  assertJvmWords(s);
});

test('JVM that keeps nothing (simpleclient_hotspot, client_java 1.x, Micrometer): a high-water mark or stable, not a leak; --fail-on growth passes', async (t) => {
  const java = await jvm(t);
  if (!java) return;
  for (const client of ['hotspot', 'client-java', 'micrometer']) {
    const s = await soak(java, `jvm-flat-${client}`, `--mode flat --client ${client} --leak-kib 8`, 20_000, [
      '--fail-on',
      'growth',
    ]);
    assert.equal(s.r.code, 0, s.text);
    assert.ok(['stable', 'high-water-held'].includes(s.verdict.kind), s.text);
    if (s.verdict.kind === 'high-water-held') {
      assert.match(s.verdict.summary, /The JVM keeps the heap it committed/);
      // The heap's line says either where it ended, or (when a collection took most of the load's
      // rise back) that it came back down: seen in a CI run, +52.3 MiB under load, 25.3 MiB at rest.
      assert.match(
        s.text,
        /Java heap used (ends at [\d.]+ MiB \(baseline [\d.]+ MiB\), (garbage not yet collected included|but no collection ran after the load)|rose \+[\d.]+ MiB during burst but was back to [\d.]+ MiB at the end of idle-after \(baseline [\d.]+ MiB\): the load's live data did not stay)/,
      );
    }
    assertJvmWords(s);
  }
});
