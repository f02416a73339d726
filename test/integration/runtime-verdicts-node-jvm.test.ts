/**
 * Verdicts through `leakbench run` for servers with no metrics library, from the runtime sources
 * alone: the Node.js inspector (V8 heap) and HotSpot hsperfdata + attach GC.run (Java heap).
 *
 * FOR THE LEAD: skipped on the rt-node-jvm branch, which has the probes but not the run's
 * plumbing (registry, launch environment, stderr tap, role mapping, collectAtRest) built on
 * rt-go-py. Once both are merged, set PLUMBING_MERGED to true (and adjust the verdict words if
 * the role mapping words them otherwise); each test then runs a small soak of about 40-60 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { soakServer } from '../helpers/soak.ts';

const PLUMBING_MERGED = true;
const skip = PLUMBING_MERGED ? false : 'needs the runtime-source plumbing of branch rt-go-py (see the header)';
const out = mkdtempSync(join(tmpdir(), 'lb-rt-verdicts-'));
const NODE_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'node-plain', 'server.mjs');
const JAVA_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'jvm-plain', 'Server.java');

const soak = (name: string, command: (port: number) => string) =>
  soakServer({ out, name, command, requests: 20_000, extra: ['--fail-on', 'growth'] });

test(
  'Node.js without /metrics, 8 KiB strings kept per request: V8 heap growth from the inspector',
  { skip },
  async () => {
    const s = await soak('node-insp-leak', (p) => `node ${NODE_SERVER} ${p} keep`);
    assert.equal(s.r.code, 4, s.text);
    assert.equal(s.verdict.kind, 'heap-growth', s.text);
    assert.match(s.verdict.summary, /V8 heap/);
    assert.match(s.text, /inspector/);
  },
);

test('Node.js without /metrics, keeping nothing: not growth', { skip }, async () => {
  const s = await soak('node-insp-flat', (p) => `node ${NODE_SERVER} ${p} none`);
  assert.equal(s.r.code, 0, s.text);
  assert.notEqual(s.verdict.kind, 'heap-growth', s.text);
});

test(
  'JVM without /metrics, 8 KiB kept per request: Java heap growth from hsperfdata (not plateau)',
  { skip },
  async () => {
    const s = await soak('jvm-hs-leak', (p) => `java ${JAVA_SERVER} ${p} keep`);
    assert.equal(s.r.code, 4, s.text);
    assert.equal(s.verdict.kind, 'heap-growth', s.text);
    assert.match(s.verdict.summary, /Java heap/);
    assert.match(s.text, /hsperfdata/);
  },
);

test('JVM without /metrics, keeping nothing: not growth', { skip }, async () => {
  const s = await soak('jvm-hs-flat', (p) => `java ${JAVA_SERVER} ${p} none`);
  assert.equal(s.r.code, 0, s.text);
  assert.notEqual(s.verdict.kind, 'heap-growth', s.text);
});
