import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPhases, loadScenario } from '../../src/run/load-scenario.ts';
import type { ScenarioParams } from '../../src/load/phases.ts';
import { UsageError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'leakbench-scenario-file-'));
const params: ScenarioParams = {
  path: '/h',
  rate: 2,
  durationMs: 1000,
  probeTimeoutMs: 500,
  requests: 100,
  connections: 4,
  requestTimeoutMs: 1000,
  idleBeforeMs: 2000,
  idleAfterMs: 3000,
};

test('a TypeScript scenario file importing leakbench and a local module of its own loads without tsx resolving it', async () => {
  writeFileSync(join(dir, 'sizes.ts'), 'export const warmMs: number = 1500;\n');
  writeFileSync(
    join(dir, 'warm.ts'),
    `import { burstPhase, defineScenario, idlePhase, type ScenarioParams } from 'leakbench';
import { warmMs } from './sizes.ts';
enum Kind { Warm = 'warm' }
export default defineScenario({ name: 'warm', description: 'd', phases: (p: ScenarioParams) => [idlePhase(Kind.Warm, p, warmMs), burstPhase('load', p)] });
`,
  );
  const def = await loadScenario('warm', join(dir, 'warm.ts'));
  assert.deepEqual(
    buildPhases(def, params).map((p) => [
      p.name,
      p.kind,
      p.kind === 'idle' ? p.durationMs : p.kind === 'burst' ? p.requests : p.kind === 'steady' ? p.rate : undefined,
    ]),
    [
      ['warm', 'idle', 1500],
      ['load', 'burst', 100],
    ],
  );
});

test('a scenario file that does not compile: a usage error naming the file and line', async () => {
  writeFileSync(
    join(dir, 'broken.ts'),
    "import { defineScenario } from 'leakbench';\nexport default defineScenario({ name: 'x', phases: (p) => [ });\n",
  );
  await assert.rejects(
    loadScenario('broken', join(dir, 'broken.ts')),
    (err: unknown) =>
      err instanceof UsageError && /^scenario: cannot load .*broken\.ts: .*broken\.ts:2: /.test(err.message),
  );
});

test('a .mjs scenario file is imported as it is', async () => {
  writeFileSync(
    join(dir, 'plain.mjs'),
    "export default { name: 'plain', description: '', phases: (p) => [{ name: 'b', kind: 'burst', path: p.path, requests: 10, connections: 1, timeoutMs: 100 }] };\n",
  );
  const def = await loadScenario('plain', join(dir, 'plain.mjs'));
  assert.equal(buildPhases(def, params)[0]!.name, 'b');
});
